//! The connection budget's count against what PostgreSQL sees: with small pools, under
//! applications submitted and accepted at once and the pages loaded beside them, no component
//! of the platform ever holds more connections than `tongban::connections` says one process of
//! it holds at most (the count the Kubernetes overlays are sized with, `tests/deploy`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::join_all;
use sqlx::PgPool;

use crate::cases::{accepted_deferring, citizen, item_in_force, submitted_case};
use crate::harness::TestPlatform;
use crate::items::HESHAN;

/// Each component's most connections seen (by `application_name`, `tongban-<component>`), until
/// `done`.
async fn peaks(db: PgPool, done: Arc<AtomicBool>) -> BTreeMap<String, i64> {
    let mut peaks = BTreeMap::<String, i64>::new();
    while !done.load(Ordering::Relaxed) {
        let seen: Vec<(String, i64)> = sqlx::query_as(
            "select application_name, count(*) from pg_stat_activity
             where datname = current_database() and application_name like 'tongban-%'
             group by application_name",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        for (name, count) in seen {
            let peak = peaks.entry(name).or_default();
            *peak = (*peak).max(count);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    peaks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_component_holds_more_connections_than_the_budget_counts() {
    let test = TestPlatform::start_alone(|settings| settings.database.max_connections = 3).await;
    let code = item_in_force(&test).await;
    let identity_admin = test.admin("budget.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&identity_admin, "heshan.budget", "window_clerk", HESHAN)
        .await;
    let (_, applicant) = citizen(&test, 41).await;

    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(peaks(test.db.clone(), done.clone()));
    let cases = join_all((0..16).map(|_| submitted_case(&test, &applicant, &code))).await;
    let accepted = cases
        .iter()
        .map(|(id, materials)| accepted_deferring(&test, &clerk, id, materials));
    let pages = (0..16).map(|n| {
        let path = if n % 2 == 0 { "/" } else { "/console/" };
        test.http.get(test.url(path)).send()
    });
    let lists = (0..16).map(|_| test.get_as(&clerk, "/api/acceptance/v1/cases?status=accepted"));
    let (_, pages, lists) = tokio::join!(join_all(accepted), join_all(pages), join_all(lists));
    for page in pages {
        assert_eq!(page.unwrap().status(), 200);
    }
    for list in lists {
        assert_eq!(list.status(), 200);
    }
    done.store(true, Ordering::Relaxed);
    let peaks = sampler.await.unwrap();

    eprintln!("most connections seen, by component: {peaks:?}");
    let settings = &test.platform.settings;
    for component in tongban::COMPONENTS {
        let most = tongban::connections::of(component, settings)
            .unwrap()
            .most();
        let peak = peaks
            .get(&format!("tongban-{component}"))
            .copied()
            .unwrap_or(0);
        assert!(
            peak <= i64::from(most),
            "{component} held {peak} connections, more than the {most} the budget counts: {peaks:?}"
        );
    }
    // The load reached past acceptance's pool (its relay's lock, the case numbers' pool, the
    // lists' pool): the sampler sees what it must.
    assert!(
        peaks.get("tongban-acceptance").copied().unwrap_or(0) > 3,
        "{peaks:?}"
    );
    test.stop().await;
}
