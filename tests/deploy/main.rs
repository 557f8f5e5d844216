#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails
//! The Kubernetes manifests (`k8s/`) against the code: every Deployment runs a component the
//! binary has, on the port the binary serves it on, probed on the paths the binary answers,
//! locked down (non-root, read-only root, no privilege escalation); every topic the code uses
//! has a KafkaTopic; the config points each component at the others' Services. Then the base
//! and both overlays render with kustomize and validate against the Kubernetes API schemas
//! (kubectl and the PyPI package kubernetes-validate; `.ci/run` makes sure both are there and
//! sets TONGBAN_REQUIRE_MANIFEST_TOOLS, so CI cannot skip that part). Each overlay's worst
//! case of database connections fits what its database allows ([`budget`]); the staff console
//! and the online hall reach exactly the services they call, and the ingress brings people to
//! them through the gateway ([`pages`]).

mod budget;
mod pages;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_yaml::Value;

fn k8s() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../k8s")
}

/// Every document of every file the base lists.
fn base() -> Vec<Value> {
    let dir = k8s().join("base");
    let kustomization: Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap())
            .unwrap();
    let mut documents = Vec::new();
    for file in kustomization["resources"].as_sequence().unwrap() {
        let text = std::fs::read_to_string(dir.join(file.as_str().unwrap())).unwrap();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document).unwrap();
            if !value.is_null() {
                documents.push(value);
            }
        }
    }
    documents
}

fn of_kind<'a>(documents: &'a [Value], kind: &str) -> Vec<&'a Value> {
    documents.iter().filter(|d| d["kind"] == kind).collect()
}

fn config(documents: &[Value]) -> &Value {
    of_kind(documents, "ConfigMap")
        .into_iter()
        .find(|d| d["metadata"]["name"] == "tongban-config")
        .expect("the tongban-config ConfigMap")
}

fn str_of<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

#[test]
fn every_component_runs_on_its_port_with_the_probes_the_binary_answers() {
    let documents = base();
    let settings = tongban_runtime::Settings::load(None).unwrap();
    let deployments = of_kind(&documents, "Deployment");
    let mut components = BTreeSet::new();
    for deployment in &deployments {
        let name = str_of(&deployment["metadata"]["name"], "name");
        let spec = &deployment["spec"]["template"]["spec"];
        let containers = spec["containers"].as_sequence().unwrap();
        assert_eq!(containers.len(), 1, "{name}: one container");
        let container = &containers[0];
        let args: Vec<&str> = container["args"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| str_of(a, "arg"))
            .collect();
        assert_eq!(args[0], "serve", "{name}");
        assert_eq!(args[2], "--no-migrate", "{name}: the Job migrates");
        let component = args[1];
        assert!(
            tongban::COMPONENTS.contains(&component),
            "{name}: `tongban serve {component}` is not a component"
        );
        assert_eq!(name, format!("tongban-{component}"));
        components.insert(component.to_owned());

        // The port the binary serves the component on.
        let port = settings.port(component);
        let ports = container["ports"].as_sequence().unwrap();
        assert_eq!(ports[0]["name"], "http");
        assert_eq!(
            ports[0]["containerPort"].as_u64(),
            Some(u64::from(port)),
            "{name}"
        );
        // The probes the runtime answers, on that port.
        for (probe, path) in [
            ("startupProbe", tongban_runtime::http::HEALTHZ),
            ("livenessProbe", tongban_runtime::http::HEALTHZ),
            ("readinessProbe", tongban_runtime::http::READYZ),
        ] {
            let get = &container[probe]["httpGet"];
            assert_eq!(str_of(&get["path"], probe), path, "{name} {probe}");
            assert_eq!(get["port"], "http", "{name} {probe}");
        }
        // Prometheus scrapes where the binary serves /metrics, and monitoring may reach it:
        // the gateway on a port of its own (its public port serves none), every other
        // component on its port.
        let scraped: u64 = str_of(
            &deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"],
            "scrape port",
        )
        .parse()
        .unwrap();
        if component == "gateway" {
            let metrics: u64 = str_of(
                &config(&documents)["data"]["TONGBAN__GATEWAY__METRICS_PORT"],
                "the gateway's metrics port",
            )
            .parse()
            .unwrap();
            assert_ne!(
                metrics,
                u64::from(port),
                "the public port serves no metrics"
            );
            assert_eq!(scraped, metrics, "{name}");
            assert!(
                ports.iter().any(
                    |p| p["name"] == "metrics" && p["containerPort"].as_u64() == Some(metrics)
                ),
                "{name}: no container port for metrics"
            );
        } else {
            assert_eq!(scraped, u64::from(port), "{name}");
        }
        let monitoring = of_kind(&documents, "NetworkPolicy")
            .into_iter()
            .find(|p| p["metadata"]["name"] == "tongban-metrics-from-monitoring")
            .expect("a policy admitting monitoring");
        assert!(
            monitoring["spec"]["ingress"][0]["ports"]
                .as_sequence()
                .unwrap()
                .iter()
                .any(|p| p["port"].as_u64() == Some(scraped)),
            "{name}: monitoring may not reach port {scraped}"
        );
        // The key-encryption key reaches the components that keep something sealed under it
        // (the columns `tongban admin rotate-kek` re-wraps), and no other.
        let sealing = tongban::ops::SEALED.iter().any(|c| c.schema == component);
        let secrets: Vec<&str> = container["env"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|v| v["valueFrom"]["secretKeyRef"]["key"].as_str())
            .collect();
        for key in ["kek", "previous-keks"] {
            assert_eq!(
                secrets.contains(&key),
                sealing,
                "{name}: the secret {key} must reach exactly the components that seal"
            );
        }
        // Locked down.
        assert_eq!(spec["securityContext"]["runAsNonRoot"], true, "{name}");
        assert!(spec["securityContext"]["runAsUser"].as_u64().unwrap() > 0);
        let locked = &container["securityContext"];
        assert_eq!(locked["allowPrivilegeEscalation"], false, "{name}");
        assert_eq!(locked["readOnlyRootFilesystem"], true, "{name}");
        assert_eq!(locked["capabilities"]["drop"][0], "ALL", "{name}");
        assert_eq!(spec["automountServiceAccountToken"], false, "{name}");
        assert!(container["resources"]["requests"]["memory"].is_string());
        assert!(container["resources"]["limits"]["memory"].is_string());
        // Time after SIGTERM for the not-ready delay, the HTTP grace, and then the consumers'
        // commits and the relay's last publish.
        let grace = spec["terminationGracePeriodSeconds"].as_u64().unwrap();
        let delay: u64 = str_of(
            &config(&documents)["data"]["TONGBAN__HTTP__SHUTDOWN_DELAY_MS"],
            "shutdown delay",
        )
        .parse()
        .unwrap();
        assert!(
            delay >= 2_000,
            "{name}: too short to leave the Service's endpoints"
        );
        assert!(
            grace * 1_000 >= delay + settings.http.shutdown_grace_ms + 10_000,
            "{name}: {grace} s leaves no room after the {delay} ms delay and the {} ms grace",
            settings.http.shutdown_grace_ms
        );

        // Its Service, autoscaler and disruption budget.
        for kind in ["Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"] {
            assert!(
                of_kind(&documents, kind)
                    .iter()
                    .any(|d| d["metadata"]["name"] == name),
                "{name} has no {kind}"
            );
        }
        let service = of_kind(&documents, "Service")
            .into_iter()
            .find(|d| d["metadata"]["name"] == name)
            .unwrap();
        assert_eq!(
            service["spec"]["ports"][0]["port"].as_u64(),
            Some(u64::from(port))
        );
        assert_eq!(
            service["spec"]["selector"]["app.kubernetes.io/component"],
            component
        );
    }
    let every: BTreeSet<String> = tongban::COMPONENTS
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    assert_eq!(components, every, "one Deployment per component");

    // The config points every component at the others' Services.
    let config = config(&documents);
    for component in tongban::COMPONENTS.iter().filter(|c| **c != "gateway") {
        let key = format!("TONGBAN__HTTP__UPSTREAMS__{}", component.to_uppercase());
        let url = str_of(&config["data"][key.as_str()], &key);
        let port = settings.port(component);
        assert_eq!(url, format!("http://tongban-{component}:{port}"));
    }

    // The migration Job runs `tongban migrate`; the ingress reaches only the gateway.
    let job = of_kind(&documents, "Job")[0];
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["args"][0],
        "migrate"
    );
    for ingress in of_kind(&documents, "Ingress") {
        for rule in ingress["spec"]["rules"].as_sequence().unwrap() {
            for path in rule["http"]["paths"].as_sequence().unwrap() {
                assert_eq!(path["backend"]["service"]["name"], "tongban-gateway");
            }
        }
    }
    let from_ingress: Vec<&Value> = of_kind(&documents, "NetworkPolicy")
        .into_iter()
        .filter(|p| {
            serde_yaml::to_string(&p["spec"]["ingress"])
                .unwrap()
                .contains("ingress-nginx")
        })
        .collect();
    assert_eq!(from_ingress.len(), 1);
    assert_eq!(
        from_ingress[0]["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
        "gateway"
    );
}

#[test]
fn every_topic_the_code_uses_is_a_kafka_topic() {
    let documents = base();
    let declared: BTreeMap<&str, &Value> = of_kind(&documents, "KafkaTopic")
        .into_iter()
        .map(|t| (str_of(&t["spec"]["topicName"], "topicName"), t))
        .collect();
    let used: BTreeSet<&str> = tongban_events::topics::ALL.into_iter().collect();
    let names: BTreeSet<&str> = declared.keys().copied().collect();
    assert_eq!(names, used, "KafkaTopics and the code's topics differ");
    for (name, topic) in declared {
        assert_eq!(topic["metadata"]["labels"]["strimzi.io/cluster"], "tongban");
        assert!(topic["spec"]["partitions"].as_u64().unwrap() >= 3, "{name}");
        if name != tongban_events::topics::DEADLETTER {
            assert_eq!(
                topic["spec"]["config"]["retention.ms"].as_i64(),
                Some(-1),
                "{name}: the streams are kept (projections and the province rebuild from them)"
            );
        }
    }
}

fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether CI said the manifest tools are there (a test may not skip then).
fn tools_required() -> bool {
    std::env::var_os("TONGBAN_REQUIRE_MANIFEST_TOOLS").is_some()
}

/// `target` (under `k8s/`) rendered by kubectl's kustomize; `None` (the test skips) where
/// kubectl is not installed and CI did not require it.
fn kustomize(target: &str) -> Option<String> {
    if !(have("kubectl", "version") || have("kubectl", "help")) {
        assert!(!tools_required(), "kubectl (with kustomize) is needed");
        eprintln!("skipped: kubectl is not installed here");
        return None;
    }
    let rendered = Command::new("kubectl")
        .arg("kustomize")
        .arg(k8s().join(target))
        .output()
        .unwrap();
    assert!(
        rendered.status.success(),
        "{target} does not render: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    Some(String::from_utf8(rendered.stdout).unwrap())
}

#[test]
fn the_base_and_both_overlays_render_and_validate_against_the_kubernetes_schemas() {
    let validator = Command::new("python3")
        .args(["-c", "import kubernetes_validate"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !validator {
        assert!(
            !tools_required(),
            "python3 -m pip install kubernetes-validate is needed"
        );
        eprintln!("skipped: kubernetes-validate is not installed here");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    for target in ["base", "overlays/province", "overlays/county"] {
        let Some(text) = kustomize(target) else {
            return;
        };
        let file = out
            .path()
            .join(format!("{}.yaml", target.replace('/', "-")));
        std::fs::write(&file, &text).unwrap();
        let checked = Command::new("python3")
            .args([
                "-m",
                "kubernetes_validate",
                "--strict",
                "--quiet",
                "--no-warn",
            ])
            .args(["--kubernetes-version", "1.30.0"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            checked.status.success(),
            "{target} does not validate:\n{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
        let kinds: BTreeSet<String> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| {
                Value::deserialize(d).unwrap()["kind"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        for kind in [
            "Deployment",
            "Service",
            "Job",
            "NetworkPolicy",
            "KafkaTopic",
        ] {
            assert!(kinds.contains(kind), "{target} renders no {kind}");
        }
        if target.ends_with("province") {
            assert!(kinds.contains("Cluster"), "the province runs CloudNativePG");
        }
    }
}

#[test]
fn the_image_is_built_in_one_stage_and_runs_unprivileged_without_build_tools() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dockerfile = std::fs::read_to_string(root.join("deploy/Dockerfile")).unwrap();
    let stages: Vec<&str> = dockerfile.split("\nFROM ").skip(1).collect();
    assert!(stages.len() >= 2, "a build stage and a runtime stage");
    assert!(stages[0].contains("cargo build --release --locked -p tongban"));
    let runtime = stages.last().unwrap();
    for tool in [
        "cargo",
        "rustc",
        "gcc",
        "build-essential",
        "make ",
        "cmake",
        "-dev",
    ] {
        assert!(!runtime.contains(tool), "the runtime stage has {tool}");
    }
    let user = runtime
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER in the runtime stage");
    let uid: u32 = user.split(':').next().unwrap().trim().parse().unwrap();
    assert!(uid >= 1_000, "runs as an unprivileged user, not {uid}");
    assert!(runtime.contains("COPY --from=build"));
    assert!(runtime.contains(r#"ENTRYPOINT ["/usr/local/bin/tongban"]"#));
    // The k8s pods run as the image's user.
    let documents = base();
    for deployment in of_kind(&documents, "Deployment") {
        let context = &deployment["spec"]["template"]["spec"]["securityContext"];
        assert_eq!(context["runAsUser"].as_u64(), Some(u64::from(uid)));
    }

    // The single-host install: PostgreSQL, a broker, the migration, then `tongban up`.
    let compose: Value =
        serde_yaml::from_str(&std::fs::read_to_string(root.join("deploy/compose.yaml")).unwrap())
            .unwrap();
    let services = &compose["services"];
    for service in ["postgres", "kafka", "migrate", "tongban"] {
        assert!(!services[service].is_null(), "compose has {service}");
    }
    assert_eq!(services["migrate"]["command"][0], "migrate");
    assert_eq!(services["tongban"]["command"][0], "up");
    assert_eq!(services["tongban"]["read_only"], true);
    assert_eq!(
        services["tongban"]["depends_on"]["migrate"]["condition"],
        "service_completed_successfully"
    );
    assert_eq!(services["tongban"]["healthcheck"]["test"][1], "tongban");
    assert_eq!(services["tongban"]["healthcheck"]["test"][2], "doctor");
}
