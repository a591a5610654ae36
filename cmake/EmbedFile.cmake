# cmake -DINPUT=file -DOUTPUT=file.cc -P EmbedFile.cmake
# Writes the bytes of INPUT as wirescan::daemon::kSampleArticles / kSampleArticlesSize.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\nnamespace wirescan::daemon {\nextern const char kSampleArticles[] = {${bytes} 0};\nextern const unsigned long kSampleArticlesSize = ${size};\n}  // namespace wirescan::daemon\n")
