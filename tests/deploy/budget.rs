//! The connection budget of each overlay: every replica of every component at its most (the
//! autoscaler's maximum, plus the one a rolling update adds), times what one replica opens at
//! most with the settings its container is given (`tongban::connections`, from the rendered
//! ConfigMap and the container's own variables), plus the migration Job, must fit what the
//! overlay's database allows less its superuser reserve and room for operators.

use std::collections::HashMap;

use serde::Deserialize;
use serde_yaml::Value;

use super::{config, kustomize, of_kind, str_of};

/// Connections kept for people and tools beside the platform's: an operator's psql,
/// `tongban doctor`, `audit verify` or an admin command, a backup tool.
const KEPT_FOR_OPERATORS: u32 = 20;
/// PostgreSQL's `superuser_reserved_connections` where a cluster does not set it.
const SUPERUSER_RESERVED: u32 = 3;

/// One component's share of the worst case.
struct Share {
    component: String,
    pods: u32,
    per_pod: u32,
}

/// What the overlay's database allows the platform: max_connections less the reserves.
fn allowed(documents: &[Value]) -> u32 {
    let number = |value: &Value, what: &str| -> u32 {
        str_of(value, what)
            .parse()
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    };
    let (max, reserved) = if let Some(cluster) = of_kind(documents, "Cluster").first() {
        let parameters = &cluster["spec"]["postgresql"]["parameters"];
        let reserved = if parameters["superuser_reserved_connections"].is_null() {
            SUPERUSER_RESERVED
        } else {
            number(
                &parameters["superuser_reserved_connections"],
                "superuser_reserved_connections",
            )
        };
        (
            number(
                &parameters["max_connections"],
                "the Cluster's max_connections",
            ),
            reserved,
        )
    } else {
        let declared =
            &config(documents)["metadata"]["annotations"]["tongban/database-max-connections"];
        assert!(
            !declared.is_null(),
            "an overlay with its own PostgreSQL says what it allows: the tongban-config \
             annotation tongban/database-max-connections"
        );
        (
            number(declared, "tongban/database-max-connections"),
            SUPERUSER_RESERVED,
        )
    };
    max - reserved - KEPT_FOR_OPERATORS
}

/// The variables a container of `deployment` starts with (what it is given as plain values:
/// the ConfigMap, then its own `env`, which wins).
fn environment(documents: &[Value], deployment: &Value) -> HashMap<String, String> {
    let mut environment: HashMap<String, String> = config(documents)["data"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (str_of(k, "key").to_owned(), str_of(v, "value").to_owned()))
        .collect();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    for variable in container["env"].as_sequence().into_iter().flatten() {
        if let Some(value) = variable["value"].as_str() {
            environment.insert(
                str_of(&variable["name"], "name").to_owned(),
                value.to_owned(),
            );
        }
    }
    environment
}

/// The most pods of `deployment` at once: its autoscaler's maximum (or its replicas) and the
/// surge of a rolling update.
fn most_pods(documents: &[Value], deployment: &Value) -> u32 {
    let name = &deployment["metadata"]["name"];
    let most = of_kind(documents, "HorizontalPodAutoscaler")
        .into_iter()
        .find(|h| &h["spec"]["scaleTargetRef"]["name"] == name)
        .map_or(
            &deployment["spec"]["replicas"],
            |h| &h["spec"]["maxReplicas"],
        )
        .as_u64()
        .unwrap();
    let surge = &deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"];
    let surge = match (surge.as_u64(), surge.as_str()) {
        (Some(pods), _) => pods,
        (None, Some(percent)) => {
            let percent: u64 = percent.trim_end_matches('%').parse().unwrap();
            (most * percent).div_ceil(100)
        }
        // Kubernetes' default, 25%.
        (None, None) => most.div_ceil(4),
    };
    u32::try_from(most + surge).unwrap()
}

fn shares(documents: &[Value]) -> Vec<Share> {
    let mut shares = Vec::new();
    for deployment in of_kind(documents, "Deployment") {
        let args = &deployment["spec"]["template"]["spec"]["containers"][0]["args"];
        let component = str_of(&args[1], "component");
        let settings =
            tongban_runtime::Settings::load_with(None, environment(documents, deployment)).unwrap();
        let connections = tongban::connections::of(component, &settings).unwrap();
        if component != "gateway" {
            assert!(
                connections.for_work() >= 2,
                "{component}: {connections:?} leaves its requests fewer than two connections"
            );
        }
        shares.push(Share {
            component: component.to_owned(),
            pods: most_pods(documents, deployment),
            per_pod: connections.most(),
        });
    }
    for job in of_kind(documents, "Job") {
        let runs = job["spec"]["parallelism"].as_u64().unwrap_or(1);
        shares.push(Share {
            component: format!("job {}", str_of(&job["metadata"]["name"], "name")),
            pods: u32::try_from(runs).unwrap(),
            per_pod: tongban::connections::MIGRATION,
        });
    }
    shares
}

#[test]
fn every_replica_at_its_most_fits_the_connections_each_overlays_database_allows() {
    for target in ["overlays/province", "overlays/county"] {
        let Some(text) = kustomize(target) else {
            return;
        };
        let documents: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| Value::deserialize(d).unwrap())
            .filter(|d| !d.is_null())
            .collect();
        let shares = shares(&documents);
        let worst: u32 = shares.iter().map(|s| s.pods * s.per_pod).sum();
        let allowed = allowed(&documents);
        let mut table = format!("{target}: worst case {worst} of {allowed} connections\n");
        for share in &shares {
            table += &format!(
                "  {:<28} {:>3} pods × {:>2} = {:>3}\n",
                share.component,
                share.pods,
                share.per_pod,
                share.pods * share.per_pod
            );
        }
        eprintln!("{table}");
        assert!(
            shares
                .iter()
                .any(|s| s.component == "acceptance" && s.per_pod > 0),
            "{target}: the services are counted"
        );
        assert!(
            worst <= allowed,
            "{target} can open more connections than its database allows:\n{table}"
        );
    }
}
