//! The dashboard in headless Chromium: the page loads, draws the tasks submitted
//! through the API with their states, and shows a tenant only its own.

use serde_json::json;
use wask_tests::guests;
use wask_tests::service::{ADMIN, ALICE, BOB, InProcess, Server, dump_dom, http, tenants_toml};

/// The `data-state` of the row or timeline bar of task `id` in a dumped DOM.
fn states_of(dom: &str, id: &str) -> Vec<String> {
    let needle = format!("data-task-id=\"{id}\"");
    dom.match_indices(&needle)
        .filter_map(|(at, _)| {
            let tag_start = dom[..at].rfind('<')?;
            let tag_end = at + dom[at..].find('>')?;
            let tag = &dom[tag_start..tag_end];
            let state = tag.split("data-state=\"").nth(1)?;
            Some(state[..state.find('"')?].to_owned())
        })
        .collect()
}

#[test]
fn the_dashboard_shows_tasks_submitted_through_the_api_with_their_states() {
    let server = InProcess::start(&tenants_toml("max-concurrency = 1", ""));
    let hostile = server.upload(ALICE, guests::HOSTILE);
    let bobs = server.upload(BOB, guests::NOOP);
    let ok = server.submit(ALICE, &json!({ "component": hostile, "call": "add(1, 2)" }));
    let failed = server.submit(
        ALICE,
        &json!({ "component": hostile, "call": "panic(\"dashboard\")" }),
    );
    server.finished(ALICE, &ok);
    server.finished(ALICE, &failed);
    let running = server.submit(
        ALICE,
        &json!({ "component": hostile, "call": "spin()", "timeout": "120s" }),
    );
    server.running(ALICE, &running);
    let queued = server.submit(ALICE, &json!({ "component": hostile, "call": "add(2, 2)" }));
    let cancelled = server.submit(ALICE, &json!({ "component": hostile, "call": "add(3, 3)" }));
    server.post(&format!("/v1/tasks/{cancelled}/cancel"), ALICE, &json!({}));
    let bobs_task = server.submit(BOB, &json!({ "component": bobs, "call": "noop()" }));
    server.finished(BOB, &bobs_task);

    let dom = dump_dom(&format!("{}/#token={ADMIN}", server.url));
    assert!(
        dom.contains("data-loaded=\"true\""),
        "the page drew a snapshot:\n{dom}"
    );
    assert!(dom.contains("admin: every tenant"));
    for (id, state) in [
        (&ok, "succeeded"),
        (&failed, "failed"),
        (&running, "running"),
        (&queued, "queued"),
        (&bobs_task, "succeeded"),
    ] {
        let states = states_of(&dom, id);
        assert!(
            states.first().is_some_and(|s| s == state),
            "task {id} should show as {state}, shows {states:?}"
        );
    }
    // The failure's message is in its row, as text.
    assert!(dom.contains("guest panicked"), "{dom}");
    // Both tenants' rows, and the running task on its slot of the timeline.
    assert!(dom.contains("data-tenant=\"alice\"") && dom.contains("data-tenant=\"bob\""));
    assert!(
        dom.contains("alice: spin"),
        "the busy slot names its task:\n{dom}"
    );
    assert!(
        states_of(&dom, &ok)
            .iter()
            .filter(|s| *s == "succeeded")
            .count()
            >= 2,
        "a finished task is a row and a timeline bar"
    );

    // Bob's token shows bob's tasks only.
    let dom = dump_dom(&format!("{}/#token={BOB}", server.url));
    assert!(dom.contains("tenant bob"));
    assert_eq!(
        states_of(&dom, &bobs_task).first().map(String::as_str),
        Some("succeeded")
    );
    for id in [&ok, &failed, &running, &queued] {
        assert!(states_of(&dom, id).is_empty(), "bob sees alice's task {id}");
    }
    assert!(!dom.contains("data-tenant=\"alice\""));

    // A refused token brings the form back, and says so.
    let dom = dump_dom(&format!("{}/#token=wrong", server.url));
    assert!(dom.contains("The token was refused."), "{dom}");

    server.post(&format!("/v1/tasks/{running}/cancel"), ALICE, &json!({}));
    server.finished(ALICE, &queued);
    assert_eq!(server.finished(ALICE, &cancelled)["state"], "cancelled");
}

#[test]
fn the_page_is_self_contained_and_locked_down() {
    let server = InProcess::start(&tenants_toml("", ""));
    let page = http("GET", &format!("{}/", server.url), None, None);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = page.text();
    // No script, style, font or image from anywhere else: no CDN.
    for needle in [
        "<script src",
        "<link",
        "@import",
        "url(http",
        "src=\"http",
        "href=\"http",
    ] {
        assert!(!html.contains(needle), "the page loads something: {needle}");
    }
    // Text from the service is set as text, never parsed as HTML.
    assert!(!html.contains("innerHTML"));
}
