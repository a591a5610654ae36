#!/usr/bin/env python3
"""Static checks of the deployment files under deploy/ (driven by tests/deploy/test_deploy.sh).

Usage: deploy_checks.py CHECK [ARGS]   (run from the repository root)
Each check prints what it found wrong and exits 0 (pass), 1 (fail) or 77 (skipped: a tool or
input it needs is missing; the reason is printed).
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys

try:
    import yaml
except ImportError:  # the driver picks a python3 with PyYAML; this is for a direct run
    print("python3 has no PyYAML (Debian: python3-yaml)")
    sys.exit(77)

SKIP = 77

# The metrics the dashboard and the alerts may query are those of a real /metrics of the daemon
# (scraped by the `demo` check), plus the series Prometheus adds to every scrape itself.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def exported_metric_names(path):
    """The metric names a Prometheus text exposition holds: every sample's name, and for each
    histogram / summary family its _bucket, _sum and _count series."""
    names = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("# TYPE "):
                parts = line.split()
                if len(parts) >= 4:
                    name, kind = parts[2], parts[3]
                    names.add(name)
                    if kind == "histogram":
                        names.update({name + "_bucket", name + "_sum", name + "_count"})
                    elif kind == "summary":
                        names.update({name + "_sum", name + "_count"})
            elif line and not line.startswith("#"):
                names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


def known_metrics(args, what):
    """The metric names of the /metrics file args[0], or None (printed why) if there is none."""
    if not args or not os.path.exists(args[0]):
        print(f"no /metrics of a running daemon to check the {what} against (the demo check "
              "did not run)")
        return None
    names = exported_metric_names(args[0])
    if not any(n.startswith("wirescan_") for n in names):
        print(f"{args[0]}: no wirescan_* metrics")
        return set()
    return names | PROMETHEUS_SERIES


PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset",
                   "bool", "and", "or", "unless", "inf", "nan", "atan2"}


def load_yaml_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def promql_metric_names(expr):
    """The metric names an expression selects (functions, keywords, labels and strings removed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)                 # string literals
    e = re.sub(r"\{[^}]*\}", "", e)                               # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                              # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\{?\w+\}?", " ", e)                            # Grafana variables
    e = re.sub(r"\boffset\s+\d+[smhdwy]", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_KEYWORDS:
            continue
        names.add(word)
    return names


def recorded_names(alerts):
    return {r["record"] for g in alerts["groups"] for r in g["rules"] if "record" in r}


# ------------------------------------------------------------------------------------------ checks

def check_yaml(_args):
    """Every YAML file under deploy/ parses (all documents)."""
    bad = []
    files = sorted(glob.glob("deploy/**/*.yaml", recursive=True) +
                   glob.glob("deploy/**/*.yml", recursive=True))
    for path in files:
        try:
            load_yaml_docs(path)
        except yaml.YAMLError as e:
            bad.append(f"{path}: {e}")
    for b in bad:
        print(b)
    print(f"{len(files)} files")
    return 1 if bad else 0


def dashboard_targets(dash):
    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))
    for p in walk(dash.get("panels", [])):
        for t in p.get("targets", []):
            yield p, t


def check_dashboard(args):
    """The Grafana dashboard: JSON, schema, unique ids, datasource variable, and only metrics a
    real /metrics (args[0]) exports. Writes its queries as a rules file to args[1] (if given)
    for promtool to parse."""
    known = known_metrics(args, "dashboard")
    if known is None:
        return SKIP
    path = "deploy/grafana/wirescan-dashboard.json"
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    errors = []
    if not 36 <= dash.get("schemaVersion", 0) <= 41:
        errors.append(f"schemaVersion {dash.get('schemaVersion')} (expected ~38)")
    if dash.get("uid") != "wirescan":
        errors.append("uid is not 'wirescan'")
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        errors.append("duplicate panel ids")
    variables = {v["name"] for v in dash.get("templating", {}).get("list", [])}
    if "datasource" not in variables:
        errors.append("no $datasource variable")
    exprs = []
    for panel, target in dashboard_targets(dash):
        expr = target.get("expr", "")
        if not expr:
            errors.append(f"panel {panel['title']!r}: target without expr")
            continue
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"panel {panel['title']!r}: datasource is not ${{datasource}}")
        unknown = promql_metric_names(expr) - known
        if unknown:
            errors.append(f"panel {panel['title']!r}: metrics {sorted(unknown)} are not in "
                          f"/metrics: {expr}")
        exprs.append(expr)
    for e in errors:
        print(e)
    if len(args) > 1:
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": f"dashboard:query_{i}",
             "expr": e.replace("$__rate_interval", "1m").replace("$job", ".*").replace("$instance", ".*")}
            for i, e in enumerate(exprs)]}]}
        with open(args[1], "w", encoding="utf-8") as f:
            yaml.safe_dump(rules, f)
    print(f"{len(exprs)} queries in {len([p for p in dash['panels'] if p['type'] != 'row'])} panels")
    return 1 if errors or not exprs else 0


def check_alert_metrics(args):
    """Alert rules: only metrics a real /metrics (args[0]) exports (or recorded by the rules
    themselves); every alert has for, severity, summary, description."""
    exported = known_metrics(args, "alerts")
    if exported is None:
        return SKIP
    alerts = load_yaml_docs("deploy/prometheus/alerts.yml")[0]
    known = exported | recorded_names(alerts)
    errors, n = [], 0
    for g in alerts["groups"]:
        for r in g["rules"]:
            unknown = promql_metric_names(r["expr"]) - known
            name = r.get("alert") or r.get("record")
            if unknown:
                errors.append(f"{name}: metrics {sorted(unknown)} are not in /metrics")
            if "alert" in r:
                n += 1
                if "for" not in r:
                    errors.append(f"{name}: no `for`")
                if r.get("labels", {}).get("severity") not in ("warning", "critical", "info"):
                    errors.append(f"{name}: severity label missing or unusual")
                for a in ("summary", "description"):
                    if not r.get("annotations", {}).get(a):
                        errors.append(f"{name}: no {a} annotation")
    for e in errors:
        print(e)
    print(f"{n} alerts")
    return 1 if errors or n == 0 else 0


def parse_containerfile(path):
    """Instructions as (KEYWORD, text), continuation lines joined, comments dropped."""
    out, cur = [], ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.rstrip("\n")
            if not cur and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if s.endswith("\\"):
                cur += s[:-1] + " "
                continue
            cur += s
            kw, _, rest = cur.strip().partition(" ")
            out.append((kw.upper(), rest.strip()))
            cur = ""
    return out


def ignored_by(patterns, rel):
    import fnmatch
    parts = rel.split("/")
    for p in patterns:
        p = p.rstrip("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatch(prefix, p) or fnmatch.fnmatch(prefix, p.replace("**/", "")):
                return p
    return None


def check_containerfile(_args):
    """The Containerfile's context sources exist and are not excluded by its ignore file; the
    runtime stage runs as a non-root numeric user, exposes 9464, has a HEALTHCHECK on /healthz."""
    path = "deploy/container/Containerfile"
    ins = parse_containerfile(path)
    with open(path + ".dockerignore", encoding="utf-8") as f:
        ignore = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    errors = []
    stages = [i for i, (k, _) in enumerate(ins) if k == "FROM"]
    if len(stages) < 2:
        errors.append("not multi-stage")
    for kw, rest in ins:
        if kw == "FROM" and not re.match(r"debian:bookworm(-slim)?\b", rest):
            errors.append(f"FROM {rest}: not Debian 12")
        if kw in ("COPY", "ADD") and "--from=" not in rest:
            srcs = [a for a in rest.split() if not a.startswith("--")][:-1]
            for src in srcs:
                if src == ".":
                    continue
                if not glob.glob(src):
                    errors.append(f"{kw} {src}: not in the repository")
                elif ignored_by(ignore, src):
                    errors.append(f"{kw} {src}: excluded by the ignore file")
    # What the build needs from the context must not be ignored.
    for needed in ("CMakeLists.txt", "CMakePresets.json", "cmake", "engine", "proto", "rules",
                   "tests", "perf", "deploy/setup.sh", "deploy/samples"):
        if not os.path.exists(needed):
            errors.append(f"build input {needed} missing from the repository")
        elif ignored_by(ignore, needed):
            errors.append(f"build input {needed} excluded by the ignore file")
    runtime = ins[stages[-1]:]
    users = [r for k, r in runtime if k == "USER"]
    if not users or not re.match(r"^[1-9]\d*(:\d+)?$", users[-1]):
        errors.append("runtime stage: USER is not a numeric non-root uid")
    if not any(k == "EXPOSE" and "9464" in r for k, r in runtime):
        errors.append("runtime stage: no EXPOSE 9464")
    if not any(k == "HEALTHCHECK" and "/healthz" in r for k, r in runtime):
        errors.append("runtime stage: no HEALTHCHECK on /healthz")
    entry = [r for k, r in runtime if k == "ENTRYPOINT"]
    if not entry or json.loads(entry[-1]) != ["/usr/local/bin/wirescan", "run", "--config",
                                               "/etc/wirescan/wirescan.yaml"]:
        errors.append("runtime stage: ENTRYPOINT is not wirescan run --config /etc/wirescan/wirescan.yaml")
    for e in errors:
        print(e)
    return 1 if errors else 0


def runtime_packages():
    """The packages the runtime stage's `apt-get install` names."""
    ins = parse_containerfile("deploy/container/Containerfile")
    last_from = max(i for i, (k, _) in enumerate(ins) if k == "FROM")
    pkgs = []
    for kw, rest in ins[last_from:]:
        if kw != "RUN":
            continue
        for cmd in rest.split("&&"):
            words = cmd.split()
            if words[:2] == ["apt-get", "install"]:
                pkgs += [w for w in words[2:] if not w.startswith("-")]
    return pkgs


def check_runtime_libs(args):
    """Every package providing a DT_NEEDED library of the built binary is installed by the runtime
    stage (or is in debian:bookworm-slim), and apt knows every runtime package."""
    binary = args[0]
    if not os.path.exists(binary):
        print(f"{binary} not built")
        return SKIP
    for tool in ("objdump", "dpkg", "ldconfig"):
        if not shutil.which(tool) and not os.path.exists(f"/sbin/{tool}"):
            print(f"{tool} not installed")
            return SKIP
    pkgs = set(runtime_packages())
    base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}  # in debian:bookworm-slim
    needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(["objdump", "-p", binary], check=True,
                                                          capture_output=True, text=True).stdout)
    if any(re.match(r"lib(a|ub|t)san\.so", lib) for lib in needed):
        print(f"{binary} is a sanitizer build; the image ships a release build")
        return SKIP
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    cache = subprocess.run([ldconfig, "-p"], check=True, capture_output=True, text=True).stdout
    errors, paths = [], {}
    for lib in needed:
        m = re.search(rf"^\s*{re.escape(lib)} \(libc6,x86-64[^)]*\) => (\S+)", cache, re.M)
        if not m:
            errors.append(f"{lib}: not found by ldconfig")
        else:
            paths[lib] = (m.group(1), os.path.realpath(m.group(1)))
    # One dpkg -S for all: "package:arch: /path" per line (merged /usr: try both spellings).
    query = sorted({p for pair in paths.values() for p in pair})
    owners = {}
    for line in subprocess.run(["dpkg", "-S", *query], capture_output=True, text=True).stdout.splitlines():
        pkg, _, path = line.partition(": ")
        owners[path.strip()] = pkg.split(":")[0]
    if paths and not owners:
        print("dpkg -S answers nothing (dpkg-query missing?)")
        return SKIP
    for lib, pair in paths.items():
        owner = owners.get(pair[0]) or owners.get(pair[1])
        if owner is None:
            errors.append(f"{lib}: no Debian package owns {pair[0]}")
        elif owner not in pkgs | base:
            errors.append(f"{lib}: package {owner} is not installed by the runtime stage")
    # Does apt know the packages? Only where the package lists are present.
    if shutil.which("apt-cache"):
        out = subprocess.run(["apt-cache", "policy", "libc6", *sorted(pkgs)], capture_output=True,
                             text=True).stdout
        cand = dict(re.findall(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: (.*)$", out, re.M))
        if cand.get("libc6", "(none)") != "(none)":
            for p in sorted(pkgs):
                if cand.get(p, "(none)") == "(none)":
                    errors.append(f"runtime package {p}: unknown to apt")
    for e in errors:
        print(e)
    print(f"{len(needed)} libraries, runtime packages: {' '.join(sorted(pkgs))}")
    return 1 if errors else 0


def check_compose(args):
    """compose.yaml: build context and Containerfile exist, bind mounts exist, depends_on names
    services; writes Prometheus' view of its mounts to args[0] for promtool."""
    path = "deploy/compose/compose.yaml"
    base = os.path.dirname(path)
    doc = load_yaml_docs(path)[0]
    services = doc["services"]
    named_volumes = set(doc.get("volumes", {}) or {})
    errors = []
    for want in ("kafka", "wirescan", "prometheus", "grafana"):
        if want not in services:
            errors.append(f"no service {want}")
    if services.get("kafka", {}).get("image") != "apache/kafka:3.8.1":
        errors.append("kafka image is not apache/kafka:3.8.1")
    if "controller" not in str(services.get("kafka", {}).get("environment", {}).get("KAFKA_PROCESS_ROLES")):
        errors.append("kafka is not in KRaft mode (KAFKA_PROCESS_ROLES)")
    for name, svc in services.items():
        build = svc.get("build")
        if build:
            ctx = os.path.normpath(os.path.join(base, build["context"]))
            if not os.path.isdir(ctx):
                errors.append(f"{name}: build context {ctx} missing")
            if not os.path.isfile(os.path.join(ctx, build["dockerfile"])):
                errors.append(f"{name}: {build['dockerfile']} missing in {ctx}")
        deps = svc.get("depends_on", [])
        for dep in (deps if isinstance(deps, list) else deps.keys()):
            if dep not in services:
                errors.append(f"{name}: depends_on unknown service {dep}")
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src in named_volumes:
                continue
            if not os.path.exists(os.path.normpath(os.path.join(base, src))):
                errors.append(f"{name}: mount source {src} missing")
    deps = services.get("wirescan", {}).get("depends_on", {})
    if deps.get("kafka", {}).get("condition") != "service_healthy":
        errors.append("wirescan does not wait for a healthy kafka")
    if not services.get("kafka", {}).get("healthcheck"):
        errors.append("kafka has no healthcheck")
    if args:  # Prometheus' /etc/prometheus as compose mounts it
        out = args[0]
        os.makedirs(out, exist_ok=True)
        for vol in services["prometheus"].get("volumes", []):
            src, dst = vol.split(":")[:2]
            if src in named_volumes or not dst.startswith("/etc/prometheus/"):
                continue
            shutil.copy(os.path.join(base, src), os.path.join(out, dst[len("/etc/prometheus/"):]))
    for e in errors:
        print(e)
    return 1 if errors else 0


def k8s_objects():
    objs = {}
    for path in glob.glob("deploy/k8s/*.yaml"):
        for d in load_yaml_docs(path):
            if "kind" in d and d["kind"] != "Kustomization":
                objs[(d["kind"], d["metadata"]["name"])] = d
    return objs


def check_k8s(_args):
    """Kubernetes manifests: the rules generator lists exactly rules/*.yaml; probes, security
    context, metrics address, mounts and grace period are what the daemon needs; reload needs a
    token from a Secret and a NetworkPolicy admits only the metrics port."""
    errors = []
    kust = load_yaml_docs("deploy/k8s/kustomization.yaml")[0]
    for res in kust.get("resources", []):
        if not os.path.exists(os.path.join("deploy/k8s", res)):
            errors.append(f"kustomization: resource {res} missing")
    gen = {g["name"]: g for g in kust.get("configMapGenerator", [])}
    listed = sorted(os.path.normpath(os.path.join("deploy/k8s", f)) for f in gen["wirescan-rules"]["files"])
    shipped = sorted(glob.glob("rules/*.yaml") + glob.glob("rules/*.yml"))
    if listed != shipped:
        errors.append(f"kustomization lists {listed}, rules/ has {shipped}")
    objs = k8s_objects()
    for kind, name in (("Deployment", "wirescan"), ("Service", "wirescan"),
                       ("PodDisruptionBudget", "wirescan"), ("ConfigMap", "wirescan-config")):
        if (kind, name) not in objs:
            errors.append(f"no {kind} {name}")
    if errors:
        for e in errors:
            print(e)
        return 1
    for o in objs.values():
        if "namespace" in o["metadata"]:
            errors.append(f"{o['kind']} {o['metadata']['name']}: has a namespace")
    dep = objs[("Deployment", "wirescan")]
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    config = yaml.safe_load(objs[("ConfigMap", "wirescan-config")]["data"]["wirescan.yaml"])
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    if env.get("WIRESCAN_METRICS_ADDRESS") != "0.0.0.0:9464":
        errors.append("WIRESCAN_METRICS_ADDRESS is not 0.0.0.0:9464")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    if ports.get("metrics") != 9464:
        errors.append("container port metrics is not 9464")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        if get.get("path") != path or get.get("port") not in ("metrics", 9464):
            errors.append(f"{probe}: not GET {path} on the metrics port")
    if dep["spec"]["replicas"] < 2:
        errors.append("fewer than 2 replicas")
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    if not psc.get("runAsNonRoot"):
        errors.append("runAsNonRoot is not set")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        errors.append("seccompProfile is not RuntimeDefault")
    if not csc.get("readOnlyRootFilesystem"):
        errors.append("readOnlyRootFilesystem is not set")
    if csc.get("allowPrivilegeEscalation") is not False:
        errors.append("allowPrivilegeEscalation is not false")
    if csc.get("capabilities", {}).get("drop") != ["ALL"]:
        errors.append("capabilities do not drop ALL")
    mem = c.get("resources", {}).get("limits", {}).get("memory", "")
    if not mem or not c.get("resources", {}).get("requests"):
        errors.append("no resource requests / memory limit")
    shutdown_s = config.get("pipeline", {}).get("shutdown_timeout_ms", 10000) / 1000
    if pod.get("terminationGracePeriodSeconds", 30) <= shutdown_s:
        errors.append(f"terminationGracePeriodSeconds <= shutdown timeout {shutdown_s}s")
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    rules_dir = config.get("rules_dir", "")
    m = mounts.get(rules_dir)
    if not m or vols[m["name"]].get("configMap", {}).get("name") != "wirescan-rules":
        errors.append(f"the wirescan-rules ConfigMap is not mounted at rules_dir {rules_dir!r}")
    elif "subPath" in m:
        errors.append("the rules are mounted with subPath (updates would not reach the pod)")
    if "/etc/wirescan/wirescan.yaml" not in mounts:
        errors.append("the config is not mounted at /etc/wirescan/wirescan.yaml")
    if pod.get("automountServiceAccountToken") is not False:
        errors.append("automountServiceAccountToken is not false")
    # The port listens on the pod's address, so reload must need a token: a file from a Secret
    # that is not optional (an optional one would leave the file missing: exit 78 at start-up).
    token_file = env.get("WIRESCAN_ADMIN__RELOAD_TOKEN_FILE", "")
    token_mount = next((m for p, m in mounts.items()
                        if token_file.startswith(p.rstrip("/") + "/")), None)
    token_vol = vols.get(token_mount["name"], {}) if token_mount else {}
    if not token_file:
        errors.append("WIRESCAN_ADMIN__RELOAD_TOKEN_FILE is not set (reload open to the network)")
    elif not token_vol.get("secret") or token_vol["secret"].get("optional"):
        errors.append(f"{token_file} is not in a mounted, required Secret")
    elif not token_mount.get("readOnly"):
        errors.append("the reload-token Secret is not mounted read-only")
    sel = dep["spec"]["selector"]["matchLabels"]
    netpol = objs.get(("NetworkPolicy", "wirescan"))
    if not netpol:
        errors.append("no NetworkPolicy wirescan")
    else:
        if netpol["spec"]["podSelector"].get("matchLabels") != sel:
            errors.append("NetworkPolicy podSelector != Deployment's selector")
        for rule in netpol["spec"].get("ingress", []):
            ports = [p.get("port") for p in rule.get("ports", [])]
            if not ports or any(p not in ("metrics", 9464) for p in ports):
                errors.append(f"NetworkPolicy admits ports {ports or 'all'}, not only metrics")
    for kind in ("Service", "PodDisruptionBudget"):
        o = objs[(kind, "wirescan")]
        s = o["spec"]["selector"].get("matchLabels", o["spec"]["selector"])
        if s != sel:
            errors.append(f"{kind} selector {s} != Deployment's {sel}")
    for e in errors:
        print(e)
    return 1 if errors else 0


def check_write_configs(args):
    """Writes every shipped daemon config to args[0]/NAME.yaml (for the daemon's own loader)."""
    out = args[0]
    os.makedirs(out, exist_ok=True)
    shutil.copy("deploy/container/wirescan.yaml", os.path.join(out, "container.yaml"))
    shutil.copy("deploy/compose/wirescan.yaml", os.path.join(out, "compose.yaml"))
    cm = k8s_objects()[("ConfigMap", "wirescan-config")]
    with open(os.path.join(out, "k8s.yaml"), "w", encoding="utf-8") as f:
        f.write(cm["data"]["wirescan.yaml"])
    return 0


def check_demo(args):
    """`bash deploy/run.sh` as on a first run (set-up installs packages, the build prints its
    progress: fakes of dpkg-query, apt-get, sudo and cmake that write to stdout), in a copy of
    deploy/ whose build/release/engine/wirescan is args[0]: stdout must hold event JSON lines
    only. While it runs, the bad records of deploy/samples/bad_records.ndjson are produced to
    its embedded broker and its rules reloaded (POST /-/reload), so that every family has
    series (empty ones are not exposed); its /metrics is scraped once those and librdkafka's
    statistics of both clients are in, and written to args[1], for the dashboard and alert
    checks."""
    import signal
    import tempfile
    import time
    import urllib.request
    binary, metrics_out = os.path.abspath(args[0]), args[1]
    if not os.access(binary, os.X_OK):
        print(f"{binary} not built")
        return SKIP
    try:
        from confluent_kafka import Producer
    except ImportError:
        print("no confluent_kafka module (Debian: python3-confluent-kafka)")
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        os.makedirs(os.path.join(tree, "deploy"))
        os.makedirs(os.path.join(tree, "build", "release", "engine"))
        for f in ("run.sh", "setup.sh"):
            shutil.copy(os.path.join("deploy", f), os.path.join(tree, "deploy", f))
        os.symlink(binary, os.path.join(tree, "build", "release", "engine", "wirescan"))
        fakes = os.path.join(tmp, "fakebin")
        os.makedirs(fakes)
        scripts = {
            "dpkg-query": "exit 1\n",  # nothing installed: a first run
            "apt-get": 'echo "FAKE apt-get $*: Reading package lists... Done"\n',
            "sudo": 'exec "$@"\n',
            "cmake": 'echo "-- FAKE cmake $*"\necho "[1/1] FAKE Linking CXX executable"\n',
        }
        for name, body in scripts.items():
            with open(os.path.join(fakes, name), "w", encoding="utf-8") as f:
                f.write("#!/bin/sh\n" + body)
            os.chmod(os.path.join(fakes, name), 0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESCAN_")}
        env["PATH"] = fakes + os.pathsep + env.get("PATH", "")
        out_path, err_path = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(["bash", os.path.join(tree, "deploy", "run.sh")], stdout=out,
                                    stderr=err, env=env)
        errors = []
        metrics = ""
        deadline = time.monotonic() + 90
        admin = None
        fed = False

        def complete(text):
            lines = text.splitlines()
            rtt = [l for l in lines if l.startswith("wirescan_kafka_broker_rtt_seconds{")]
            return (all(any(f'client="{c}"' in l for l in rtt) for c in ("consumer", "producer"))
                    and any(l.startswith("wirescan_dead_letters_total{") for l in lines)
                    and any(l.startswith("wirescan_rule_reloads_total{") for l in lines))
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                log = open(err_path, encoding="utf-8", errors="replace").read()
                if admin is None:
                    m = re.search(r"admin endpoint on (http://[0-9.:]+)", log)
                    admin = m and m.group(1)
                broker = re.search(r"librdkafka mock cluster\) at ([0-9.:,]+)", log)
                if admin and broker and not fed and os.path.getsize(out_path) > 0:
                    # The samples are in and being printed: add the bad records, reload.
                    p = Producer({"bootstrap.servers": broker.group(1)})
                    with open("deploy/samples/bad_records.ndjson", "rb") as f:
                        for line in f.read().split(b"\n"):
                            if line:
                                p.produce("wirescan.articles", line)
                    p.flush(10)
                    urllib.request.urlopen(urllib.request.Request(
                        admin + "/-/reload", data=b"", method="POST"), timeout=60).read()
                    fed = True
                if fed:
                    try:
                        metrics = urllib.request.urlopen(admin + "/metrics",
                                                         timeout=5).read().decode()
                    except OSError:
                        metrics = ""
                    if complete(metrics):
                        break
                time.sleep(0.2)
            else:
                errors.append("no /metrics with events, dead letters, a reload and librdkafka "
                              "statistics of both clients within 90 s")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
        if rc != 0:
            errors.append(f"run.sh exited {rc} after SIGTERM")
        stdout = open(out_path, encoding="utf-8", errors="replace").read()
        stderr = open(err_path, encoding="utf-8", errors="replace").read()
        events = 0
        for n, line in enumerate(stdout.splitlines(), 1):
            try:
                e = json.loads(line)
                if not isinstance(e, dict) or "type" not in e or "articleId" not in e:
                    raise ValueError("not an event")
                events += 1
            except ValueError:
                errors.append(f"stdout line {n} is not event JSON: {line[:120]!r}")
        if events == 0:
            errors.append("no events on stdout")
        for marker in ("FAKE apt-get", "FAKE cmake", "FAKE Linking"):
            if marker not in stderr:
                errors.append(f"{marker!r} (set-up/build output) not on stderr")
        if metrics:
            with open(metrics_out, "w", encoding="utf-8") as f:
                f.write(metrics)
        for e in errors[:10]:
            print(e)
        if errors:
            print(stderr[-2000:])
        print(f"{events} event lines on stdout, set-up and build on stderr; /metrics: "
              f"{len(exported_metric_names(metrics_out)) if metrics else 0} names")
        return 1 if errors else 0


def check_selftest(_args):
    """The metric-name extractor finds what it must (so the metric checks can fail)."""
    cases = {
        'sum by (topic) (rate(wirescan_source_messages_total{job=~"$job"}[$__rate_interval]))':
            {"wirescan_source_messages_total"},
        'histogram_quantile(0.99, sum by (le) (rate(foo_bucket{a="b"}[5m]))) > 1': {"foo_bucket"},
        'x > 0 unless x offset 15m and on (instance) up == 0': {"x", "up"},
        'time() - max by (instance) (process_start_time_seconds)': {"process_start_time_seconds"},
    }
    bad = [(e, promql_metric_names(e), want) for e, want in cases.items() if promql_metric_names(e) != want]
    for e, got, want in bad:
        print(f"{e}: got {got}, want {want}")
    return 1 if bad else 0


CHECKS = {
    "yaml": check_yaml, "dashboard": check_dashboard, "alert-metrics": check_alert_metrics,
    "containerfile": check_containerfile, "runtime-libs": check_runtime_libs,
    "compose": check_compose, "k8s": check_k8s, "write-configs": check_write_configs,
    "selftest": check_selftest, "demo": check_demo,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CHECKS:
        print(__doc__)
        sys.exit(2)
    sys.exit(CHECKS[sys.argv[1]](sys.argv[2:]))
