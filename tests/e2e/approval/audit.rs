//! The audit chains (issue 29): a case taken in, handled, approved with a sealed certificate
//! and revoked, by staff granted their roles; each service's chain holds its staff's actions,
//! verifies whole, names an entry changed or deleted in PostgreSQL where it is, and ends in the
//! heads published on `tongban.audit.v1`, signed with the platform's SM2 key.

use super::*;
use tongban_events::audit::v1::ChainHead;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_actions_are_chained_and_a_changed_or_deleted_entry_is_named() {
    let test = TestPlatform::start_with(BrokerStorage::Memory, |settings| {
        settings
            .section_mut::<tongban_audit::head::AuditSettings>()
            .unwrap()
            .head_every_secs = 1;
    })
    .await;
    let code = three_step_item(&test, 10).await;
    let staff = staff(&test, &department_of(&test, &code).await).await;
    let (_, applicant) = crate::cases::citizen(&test, 31).await;
    let (case, accepted) = accepted_case(&test, &applicant, &staff.clerk, &code).await;
    opened(&test, &staff.approvers[0].1, &case).await;
    handle_step(&test, &staff.approvers[0].1, &case, 2, "材料齐全，同意。").await;
    handle_step(&test, &staff.approvers[1].1, &case, 3, "审核通过。").await;
    let decide = format!("/api/approval/v1/work-items/{case}/steps/4/decide");
    let pizhun = &staff.approvers[2].1;
    assert_eq!(
        post(&test, pizhun, &decide.replace("decide", "claim"), json!({}))
            .await
            .0,
        200
    );
    let (status, approved) = post(
        &test,
        pizhun,
        &decide,
        json!({ "decision": "approve", "opinion": "准予登记。" }),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    let certificate = approved["certificates"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Each chain holds its service's staff actions, by whom, about what.
    let actions = |schema: &str| {
        let sql =
            format!("select action, subject from {schema}.audit_chain order by at, lane, seq");
        let db = test.db.clone();
        async move {
            sqlx::query_as::<_, (String, String)>(&sql)
                .fetch_all(&db)
                .await
                .unwrap()
        }
    };
    let identity = actions("identity").await;
    assert!(
        identity.iter().filter(|(a, _)| a == "role_granted").count() >= 6,
        "{identity:?}"
    );
    let number = accepted["number"].as_str().unwrap();
    assert!(
        actions("acceptance")
            .await
            .contains(&("accepted".into(), number.into()))
    );
    let approval = actions("approval").await;
    for action in ["claimed", "completed", "approved", "certificate_issued"] {
        assert!(
            approval.iter().any(|(a, _)| a == action),
            "{action} in {approval:?}"
        );
    }
    let identifier: String =
        sqlx::query_scalar("select identifier from approval.certificates where id = $1::uuid")
            .bind(&certificate)
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert!(approval.contains(&("certificate_issued".into(), identifier)));
    let settings = &test.platform.settings;
    for service in tongban::ops::AUDITED {
        let walk = tongban::ops::verify_audit_chain(settings, service, |_| {}, |_| {})
            .await
            .unwrap();
        assert_eq!(walk.broken, None, "{service}");
        assert!(
            walk.entries > 0 && walk.entries == walk.head_entries(),
            "{service}: {walk:?}"
        );
    }

    a_published_head_matches_the_database(&test).await;
    an_update_or_delete_in_postgresql_is_named_at_its_entry(&test).await;
    test.stop().await;
}

/// The heads published on the topic are signed by the platform's key over what they say, and
/// each lane's names an entry the chain holds with that hash.
async fn a_published_head_matches_the_database(test: &TestPlatform) {
    let entries: i64 = test
        .scalar("select sum(seq)::bigint from approval.audit_head")
        .await;
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let published =
        crate::events::read_events_until(&brokers, tongban_events::topics::AUDIT, |got| {
            got.iter().any(|event| {
                let head: ChainHead = decode(event);
                head.service == "approval"
                    && head.lanes.iter().map(|l| l.seq).sum::<i64>() >= entries
            })
        })
        .await;
    let heads: Vec<ChainHead> = published.iter().map(decode).collect();
    let vault = test.platform.settings.secrets.vault().unwrap();
    let key = tongban_audit::head::platform_key(&vault).public();
    for service in tongban::ops::AUDITED {
        let at = heads
            .iter()
            .rposition(|h| h.service == service)
            .unwrap_or_else(|| panic!("{service}'s head"));
        let head = &heads[at];
        assert!(
            tongban_audit::head::verify(head),
            "{service}'s head is signed over what it says"
        );
        assert_eq!(
            head.public_key,
            key.to_sec1(),
            "signed with the platform's key"
        );
        assert_eq!(head.lanes.len(), tongban_audit::LANES as usize);
        assert_eq!(
            published[at].header("ce_type").as_deref(),
            Some("cn.tongban.audit.chain_head.v1")
        );
        for lane in head.lanes.iter().filter(|l| l.seq > 0) {
            let sql =
                format!("select hash from {service}.audit_chain where lane = $1 and seq = $2");
            let hash: Vec<u8> = sqlx::query_scalar(&sql)
                .bind(lane.lane as i16)
                .bind(lane.seq)
                .fetch_one(&test.db)
                .await
                .unwrap();
            assert_eq!(
                lane.hash, hash,
                "{service}'s published head of lane {}",
                lane.lane
            );
        }
    }
}

/// An UPDATE of one entry, a re-hashed one and a DELETE are each reported at their entry.
async fn an_update_or_delete_in_postgresql_is_named_at_its_entry(test: &TestPlatform) {
    use tongban_audit::Broken;
    let settings = &test.platform.settings;
    let walk = |service: &'static str| async move {
        tongban::ops::verify_audit_chain(settings, service, |_| {}, |_| {})
            .await
            .unwrap()
            .broken
    };
    sqlx::query("update approval.audit_chain set detail = replace(detail, '准予登记', '不予登记') where action = 'approved'")
        .execute(&test.db)
        .await
        .unwrap();
    let entry: tongban_audit::Entry = sqlx::query_as(
        "select lane, seq, at, actor, action, subject, detail, previous, hash from approval.audit_chain
         where action = 'approved'",
    )
    .fetch_one(&test.db)
    .await
    .unwrap();
    let (lane, seq) = (entry.lane, entry.seq);
    assert!(
        matches!(walk("approval").await, Some((l, Broken::Changed { seq: s, .. })) if (l, s) == (lane, seq)),
        "the changed decision is named"
    );
    // Re-hashing the changed entry moves the break to the next one: it no longer follows.
    sqlx::query("update approval.audit_chain set hash = $3 where lane = $1 and seq = $2")
        .bind(lane)
        .bind(seq)
        .bind(entry.expected_hash().to_vec())
        .execute(&test.db)
        .await
        .unwrap();
    let head: i64 = test
        .scalar(&format!(
            "select seq from approval.audit_head where lane = {lane}"
        ))
        .await;
    let expected = if seq < head {
        Broken::Relinked { seq: seq + 1 }
    } else {
        Broken::Head {
            head_seq: head,
            last_seq: head,
        }
    };
    assert_eq!(walk("approval").await, Some((lane, expected)));

    let lane: i16 =
        sqlx::query_scalar("select lane from acceptance.audit_chain order by lane, seq limit 1")
            .fetch_one(&test.db)
            .await
            .unwrap();
    sqlx::query("delete from acceptance.audit_chain where lane = $1 and seq = 1")
        .bind(lane)
        .execute(&test.db)
        .await
        .unwrap();
    let head: i64 = test
        .scalar(&format!(
            "select seq from acceptance.audit_head where lane = {lane}"
        ))
        .await;
    let expected = if head > 1 {
        Broken::Missing {
            expected: 1,
            found: 2,
        }
    } else {
        Broken::Head {
            head_seq: 1,
            last_seq: 0,
        }
    };
    assert_eq!(walk("acceptance").await, Some((lane, expected)));
    assert_eq!(walk("identity").await, None, "the other chains are whole");
}
