// wirescan: a thin main; everything is in engine/.
#include "engine/daemon/cli.h"

int main(int argc, char** argv) { return wirescan::daemon::RunCli(argc, argv); }
