//! The pages in a cluster: the ingress brings `/`, `/console/` and `/api/…` to the gateway,
//! which hands each to the component serving it; the staff console and the online hall reach
//! exactly the services their pages call (`CALLS`, which their API client enforces), DNS and
//! PostgreSQL, and nothing else — read from the NetworkPolicies as Kubernetes applies them.

use std::collections::BTreeMap;

use serde_yaml::Value;

use super::{base, of_kind, str_of};

/// A pod of `component`, by its labels.
fn pod(component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".into(), "tongban".into()),
        ("app.kubernetes.io/part-of".into(), "tongban".into()),
        ("app.kubernetes.io/component".into(), component.into()),
    ])
}

/// Whether the label `selector` selects `labels` (an empty selector selects everything).
fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let label = |key: &Value| labels.get(str_of(key, "label"));
    let matched = selector["matchLabels"]
        .as_mapping()
        .into_iter()
        .flatten()
        .all(|(key, value)| label(key).is_some_and(|l| l == str_of(value, "label value")));
    let expressed = selector["matchExpressions"]
        .as_sequence()
        .into_iter()
        .flatten()
        .all(|e| {
            let values: Vec<&str> = e["values"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|v| str_of(v, "value"))
                .collect();
            let found = label(&e["key"]);
            match str_of(&e["operator"], "operator") {
                "In" => found.is_some_and(|l| values.contains(&l.as_str())),
                "NotIn" => !found.is_some_and(|l| values.contains(&l.as_str())),
                "Exists" => found.is_some(),
                "DoesNotExist" => found.is_none(),
                other => panic!("operator {other}"),
            }
        });
    matched && expressed
}

/// Where a connection goes.
#[derive(Clone, Copy)]
enum To<'a> {
    /// A pod of this component, in the platform's namespace.
    Component(&'a str),
    /// Any pod of the namespace of this name.
    Namespace(&'a str),
    /// An address outside the cluster (PostgreSQL or Kafka outside it, the internet).
    Outside,
}

/// Whether `peer` (an entry of a rule's `from` or `to`) is `to`.
fn is(peer: &Value, to: To) -> bool {
    let pods = &peer["podSelector"];
    let namespaces = &peer["namespaceSelector"];
    match to {
        To::Component(component) => {
            namespaces.is_null() && !pods.is_null() && selects(pods, &pod(component))
        }
        To::Namespace(name) => {
            let labels = BTreeMap::from([("kubernetes.io/metadata.name".into(), name.into())]);
            !namespaces.is_null() && selects(namespaces, &labels) && pods.is_null()
        }
        To::Outside => !peer["ipBlock"].is_null(),
    }
}

/// Whether `rule` (an ingress or egress rule) covers `peers` ("from" or "to") `to`, on
/// `port`/`protocol`.
fn covers(rule: &Value, peers: &str, to: To, port: u64, protocol: &str) -> bool {
    let peer = rule[peers]
        .as_sequence()
        .is_none_or(|list| list.iter().any(|p| is(p, to)));
    let ported = rule["ports"].as_sequence().is_none_or(|ports| {
        ports.iter().any(|p| {
            p["port"].as_u64() == Some(port) && p["protocol"].as_str().unwrap_or("TCP") == protocol
        })
    });
    peer && ported
}

/// The policies selecting `component`'s pods for `direction` ("Ingress" or "Egress").
fn policies<'a>(documents: &'a [Value], component: &str, direction: &str) -> Vec<&'a Value> {
    of_kind(documents, "NetworkPolicy")
        .into_iter()
        .filter(|p| {
            selects(&p["spec"]["podSelector"], &pod(component))
                && p["spec"]["policyTypes"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|t| t == direction)
        })
        .collect()
}

/// Whether `from`'s pods may open a connection to `to` on `port`: its egress allows it (open
/// when no policy restricts its egress) and, for a component, that component's ingress does.
fn reaches(documents: &[Value], from: &str, to: To, port: u64, protocol: &str) -> bool {
    let restricted = policies(documents, from, "Egress");
    let out = restricted.is_empty()
        || restricted.iter().any(|p| {
            p["spec"]["egress"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|rule| covers(rule, "to", to, port, protocol))
        });
    let admitted = match to {
        To::Component(component) => policies(documents, component, "Ingress").iter().any(|p| {
            p["spec"]["ingress"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|rule| covers(rule, "from", To::Component(from), port, protocol))
        }),
        To::Namespace(_) | To::Outside => true,
    };
    out && admitted
}

#[test]
fn the_console_and_the_online_hall_reach_exactly_the_services_they_call() {
    let documents = base();
    let settings = tongban_runtime::Settings::load_with(None, Default::default()).unwrap();
    for (site, calls) in [
        ("console", &tongban_console::CALLS),
        ("portal", &tongban_portal::CALLS),
    ] {
        let calls: Vec<&str> = calls.iter().map(|s| s.name()).collect();
        for component in tongban::COMPONENTS.into_iter().filter(|c| *c != site) {
            let port = u64::from(settings.port(component));
            assert_eq!(
                reaches(&documents, site, To::Component(component), port, "TCP"),
                calls.contains(&component),
                "{site} → {component}:{port}: the policies and {site}'s CALLS ({calls:?}) differ"
            );
        }
        assert!(
            reaches(&documents, site, To::Namespace("kube-system"), 53, "UDP"),
            "{site}: DNS"
        );
        assert!(
            reaches(&documents, site, To::Outside, 5432, "TCP"),
            "{site}: PostgreSQL"
        );
        for (port, what) in [
            (443, "the internet"),
            (9092, "Kafka"),
            (6379, "anything else"),
        ] {
            assert!(
                !reaches(&documents, site, To::Outside, port, "TCP"),
                "{site} reaches {what} (port {port}), which it never calls"
            );
        }
    }
    // What the policies allow the services themselves is not narrowed: the gateway reaches
    // every component.
    for component in tongban::COMPONENTS.into_iter().filter(|c| *c != "gateway") {
        let port = u64::from(settings.port(component));
        assert!(reaches(
            &documents,
            "gateway",
            To::Component(component),
            port,
            "TCP"
        ));
    }
}

/// The ingress path that takes `path` (Kubernetes' Prefix matching: whole path elements, the
/// longest wins).
fn routed<'a>(ingress: &'a Value, path: &str) -> Option<&'a Value> {
    let elements = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let wanted = elements(path);
    ingress["spec"]["rules"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|rule| rule["http"]["paths"].as_sequence().unwrap())
        .filter(|p| {
            assert_eq!(p["pathType"], "Prefix");
            let prefix = elements(str_of(&p["path"], "path"));
            wanted.starts_with(&prefix)
        })
        .max_by_key(|p| elements(str_of(&p["path"], "path")).len())
}

#[test]
fn the_ingress_brings_people_to_the_pages_and_the_apis_through_the_gateway() {
    let documents = base();
    let ingress = of_kind(&documents, "Ingress")[0];
    let deployments: Vec<String> = of_kind(&documents, "Deployment")
        .iter()
        .map(|d| str_of(&d["metadata"]["name"], "name").to_owned())
        .collect();
    for (path, component) in [
        ("/", "portal"),
        ("/search", "portal"),
        ("/items/1100000000000001", "portal"),
        ("/console/", "console"),
        ("/console/inbox", "console"),
        ("/api/acceptance/v1/cases", "acceptance"),
        ("/api/hall/v1/boards/430102000000", "hall"),
    ] {
        let route =
            routed(ingress, path).unwrap_or_else(|| panic!("the ingress does not take {path}"));
        assert_eq!(
            route["backend"]["service"]["name"], "tongban-gateway",
            "{path}"
        );
        // Where the gateway hands it on.
        let served_by = match path.strip_prefix("/api/") {
            Some(rest) => rest.split('/').next().unwrap(),
            None => tongban_gateway::proxy::pages_upstream(path).unwrap(),
        };
        assert_eq!(served_by, component, "{path}");
        assert!(
            deployments.contains(&format!("tongban-{component}")),
            "{path}: no Deployment serves {component}"
        );
    }
}
