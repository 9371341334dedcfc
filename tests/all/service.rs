//! The HTTP service (`wask-service`, `host serve`, `host submit`) over real sockets:
//! every endpoint, every isolation rule between tenants, tokens, each error status,
//! hostile clients, reload and graceful stop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value as Json, json};
use wask_tests::guests;
use wask_tests::service::{
    ADMIN, ALICE, BOB, InProcess, Served, Server, http, http_with, json_body, tenants_toml,
};

fn two_tenants() -> InProcess {
    InProcess::start(&tenants_toml("", ""))
}

#[test]
fn components_upload_idempotently_list_show_and_delete() {
    let server = two_tenants();
    let bytes = std::fs::read(guests::NOOP).unwrap();
    let url = format!("{}/v1/components?name=noop.wasm", server.url);
    let first = http(
        "POST",
        &url,
        Some(ALICE),
        Some(("application/wasm", &bytes)),
    );
    assert_eq!(first.status, 201, "{}", first.text());
    let component = first.json();
    let id = component["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 7 + 64, "{id}");
    assert_eq!(component["name"], "noop.wasm");
    assert_eq!(component["size"], bytes.len());
    let signatures: Vec<&str> = component["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["signature"].as_str().unwrap())
        .collect();
    assert_eq!(
        signatures,
        [
            "noop: func()",
            "echo: func(data: list<u8>) -> list<u8>",
            "add: func(a: u64, b: u64) -> u64"
        ]
    );
    // The same bytes again: 200, the same id, nothing new.
    let again = http(
        "POST",
        &url,
        Some(ALICE),
        Some(("application/wasm", &bytes)),
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], id.as_str());
    let list = server.get("/v1/components", ALICE).json();
    assert_eq!(list["components"].as_array().unwrap().len(), 1);
    assert_eq!(
        server.get(&format!("/v1/components/{id}"), ALICE).json()["id"],
        id.as_str()
    );
    // Bob does not see it; his first upload of the same bytes is his own 201.
    assert_eq!(server.get(&format!("/v1/components/{id}"), BOB).status, 404);
    assert_eq!(
        server.get("/v1/components", BOB).json()["components"],
        json!([])
    );
    assert_eq!(
        server.delete(&format!("/v1/components/{id}"), BOB).status,
        404
    );
    let bobs = http("POST", &url, Some(BOB), Some(("application/wasm", &bytes)));
    assert_eq!(bobs.status, 201);
    // Deleting is alice's alone, and then the id is unknown to her.
    assert_eq!(
        server.delete(&format!("/v1/components/{id}"), ALICE).status,
        204
    );
    assert_eq!(
        server.get(&format!("/v1/components/{id}"), ALICE).status,
        404
    );
    assert_eq!(server.get(&format!("/v1/components/{id}"), BOB).status, 200);
    // Bytes that are no component.
    let bad = http(
        "POST",
        &url,
        Some(ALICE),
        Some(("application/wasm", b"not wasm at all")),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "invalid_component");
    assert!(bad.message().contains("wasm magic bytes"), "{}", bad.text());
}

#[test]
fn calls_in_wave_or_json_with_results_as_json_and_raw_bytes() {
    let server = two_tenants();
    let fib = server.upload(ALICE, guests::FIBONACCI);
    let noop = server.upload(ALICE, guests::NOOP);
    // WAVE, with the answer once finished.
    let reply = server.post(
        "/v1/tasks",
        ALICE,
        &json!({ "component": fib, "call": "fib(100)", "wait": "30s" }),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    let task = reply.json();
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/tasks/{}", task["id"].as_str().unwrap()).as_str())
    );
    assert_eq!(task["state"], "succeeded");
    assert_eq!(task["result"], "354224848179261915075");
    assert_eq!(task["result_wave"], "\"354224848179261915075\"");
    assert_eq!(task["result_type"], "string");
    assert_eq!(task["function"], "fib");
    assert_eq!(task["attempts"], 1);
    assert!(task["worker"]["slot"].as_u64().unwrap() < 2);
    // JSON arguments, read back with a long poll.
    let id = server.submit(
        ALICE,
        &json!({ "component": noop, "function": "add", "args": [40, 2] }),
    );
    assert_eq!(server.finished(ALICE, &id)["result"], 42);
    let result = server.get(&format!("/v1/tasks/{id}/result?wait=30s"), ALICE);
    assert_eq!(result.status, 200);
    assert_eq!(result.json(), json!(42));
    // A list<u8> result is raw bytes at /result, and a JSON array in the task.
    let id = server.submit(
        ALICE,
        &json!({ "component": noop, "function": "echo", "args": [[0, 1, 255]] }),
    );
    assert_eq!(server.finished(ALICE, &id)["result"], json!([0, 1, 255]));
    let raw = server.get(&format!("/v1/tasks/{id}/result"), ALICE);
    assert_eq!(raw.header("content-type"), Some("application/octet-stream"));
    assert_eq!(raw.body, [0, 1, 255]);
}

#[test]
fn a_batch_is_checked_whole_and_nothing_runs_if_one_call_is_bad() {
    let server = two_tenants();
    let noop = server.upload(ALICE, guests::NOOP);
    let bad = server.post(
        "/v1/tasks/batch",
        ALICE,
        &json!({ "component": noop, "tasks": [
            { "call": "add(1, 2)" },
            { "function": "add", "args": [1, "two"] },
        ]}),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "invalid_argument");
    assert!(
        bad.message()
            .starts_with("tasks[1]: argument 2 (`b`) of `add`: expected u64"),
        "{}",
        bad.message()
    );
    assert_eq!(
        server.get("/v1/tasks", ALICE).json()["tasks"],
        json!([]),
        "nothing was queued"
    );
    let reply = server.post(
        "/v1/tasks/batch",
        ALICE,
        &json!({ "component": noop, "tasks": [
            { "call": "add(1, 2)" },
            { "function": "add", "args": [3, 4] },
            { "call": "noop()", "priority": 5 },
        ]}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    let ids: Vec<String> = reply.json()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    let results: Vec<Json> = ids
        .iter()
        .map(|id| server.finished(ALICE, id)["result"].clone())
        .collect();
    // A function with no result gives the empty tuple, as `host run --json` prints it.
    assert_eq!(results, [json!(3), json!(7), json!([])]);
    let empty = server.post("/v1/tasks/batch", ALICE, &json!({ "tasks": [] }));
    assert_eq!(empty.status, 400);
    assert_eq!(empty.code(), "invalid_batch");
}

#[test]
fn refs_of_earlier_tasks_and_objects_stand_for_arguments() {
    let server = two_tenants();
    let noop = server.upload(ALICE, guests::NOOP);
    let fib = server.upload(ALICE, guests::FIBONACCI);
    let first = server.submit(
        ALICE,
        &json!({ "component": noop, "function": "add", "args": [1, 2] }),
    );
    let second = server.submit(
        ALICE,
        &json!({ "component": noop, "function": "add", "args": [{ "$ref": first }, 10] }),
    );
    assert_eq!(server.finished(ALICE, &second)["result"], 13);
    // Bytes put once, passed by ref.
    let put = http(
        "POST",
        &format!("{}/v1/objects", server.url),
        Some(ALICE),
        Some(("application/octet-stream", b"hello")),
    );
    assert_eq!(put.status, 201);
    let object = put.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get(&format!("/v1/objects/{object}"), ALICE).body,
        b"hello"
    );
    let echo = server.submit(
        ALICE,
        &json!({ "component": noop, "function": "echo", "args": [{ "$ref": object }] }),
    );
    server.finished(ALICE, &echo);
    assert_eq!(
        server.get(&format!("/v1/tasks/{echo}/result"), ALICE).body,
        b"hello"
    );
    // A ref of the wrong type is refused at submit, naming the argument.
    let text = server.submit(ALICE, &json!({ "component": fib, "call": "fib(5)" }));
    let wrong = server.post(
        "/v1/tasks",
        ALICE,
        &json!({ "component": noop, "function": "add", "args": [{ "$ref": text }, 1] }),
    );
    assert_eq!(wrong.status, 400, "{}", wrong.text());
    assert!(
        wrong
            .message()
            .contains("argument 1 (`a`) of `add`: expected u64, got a ref to string"),
        "{}",
        wrong.message()
    );
    // An upstream failure fails the dependent task, naming it.
    let hostile = server.upload(ALICE, guests::HOSTILE);
    let boom = server.submit(
        ALICE,
        &json!({ "component": hostile, "call": "spin()", "timeout": "50ms" }),
    );
    let after = server.submit(
        ALICE,
        &json!({ "component": hostile, "function": "add", "args": [{ "$ref": boom }, 1] }),
    );
    let task = server.finished(ALICE, &after);
    assert_eq!(task["state"], "failed");
    assert_eq!(task["error"]["kind"], "upstream");
    assert_eq!(task["error"]["upstream"], boom.as_str());
    // Forgetting frees: the id is unknown afterwards.
    assert_eq!(
        server
            .delete(&format!("/v1/objects/{object}"), ALICE)
            .status,
        204
    );
    assert_eq!(
        server.get(&format!("/v1/objects/{object}"), ALICE).status,
        404
    );
    assert_eq!(
        server.delete(&format!("/v1/tasks/{echo}"), ALICE).status,
        204
    );
    assert_eq!(server.get(&format!("/v1/tasks/{echo}"), ALICE).status, 404);
}

#[test]
fn wait_splits_ready_and_pending_as_ray_does() {
    let server = InProcess::start(&tenants_toml("max-concurrency = 1", ""));
    let hostile = server.upload(ALICE, guests::HOSTILE);
    let quick = server.submit(
        ALICE,
        &json!({ "component": hostile, "call": "add(1, 1)", "priority": 9 }),
    );
    server.finished(ALICE, &quick);
    let slow = server.submit(
        ALICE,
        &json!({ "component": hostile, "call": "spin()", "timeout": "60s" }),
    );
    let reply = server.post(
        "/v1/wait",
        ALICE,
        &json!({ "ids": [slow, quick], "num_returns": 1, "timeout": "30s" }),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!({ "ready": [quick], "pending": [slow] }));
    // Both asked for: the timeout ends the wait with one still pending.
    let reply = server.post(
        "/v1/wait",
        ALICE,
        &json!({ "ids": [quick, slow], "num_returns": 2, "timeout": 0.2 }),
    );
    assert_eq!(reply.json(), json!({ "ready": [quick], "pending": [slow] }));
    let too_many = server.post(
        "/v1/wait",
        ALICE,
        &json!({ "ids": [quick], "num_returns": 2 }),
    );
    assert_eq!(too_many.status, 400);
    assert!(
        too_many
            .message()
            .contains("num_returns is 2, more than the 1 ids")
    );
    let post = |path: &str| server.post(path, ALICE, &json!({}));
    assert_eq!(post(&format!("/v1/tasks/{slow}/cancel")).status, 200);
    assert_eq!(server.finished(ALICE, &slow)["state"], "cancelled");
}

#[test]
fn cancel_stops_a_queued_task_before_it_runs_and_interrupts_a_running_one() {
    let server = InProcess::start(&tenants_toml("max-concurrency = 1", ""));
    let hostile = server.upload(ALICE, guests::HOSTILE);
    let spin = json!({ "component": hostile, "call": "spin()", "timeout": "60s" });
    let running = server.submit(ALICE, &spin);
    server.running(ALICE, &running);
    let queued = server.submit(ALICE, &spin);
    assert_eq!(
        server.get(&format!("/v1/tasks/{queued}"), ALICE).json()["state"],
        "queued"
    );
    let cancel = |id: &str| server.post(&format!("/v1/tasks/{id}/cancel"), ALICE, &json!({}));
    assert_eq!(cancel(&queued).status, 200);
    assert_eq!(cancel(&running).status, 200);
    let task = server.finished(ALICE, &running);
    assert_eq!(task["state"], "cancelled");
    assert_eq!(task["error"]["kind"], "cancelled");
    let task = server.finished(ALICE, &queued);
    assert_eq!(task["state"], "cancelled");
    assert_eq!(
        task["attempts"], 0,
        "a cancelled queued task never ran: {task}"
    );
    // The result of a cancelled task is a 409 naming why.
    let result = server.get(&format!("/v1/tasks/{queued}/result"), ALICE);
    assert_eq!(result.status, 409);
    assert_eq!(result.code(), "task_failed");
    assert_eq!(result.message(), "task was cancelled");
}

#[test]
fn the_list_filters_by_state_function_and_component_in_pages() {
    let server = two_tenants();
    let noop = server.upload(ALICE, guests::NOOP);
    let hostile = server.upload(ALICE, guests::HOSTILE);
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(server.submit(
            ALICE,
            &json!({ "component": noop, "function": "add", "args": [n, 1] }),
        ));
    }
    let failed = server.submit(
        ALICE,
        &json!({ "component": hostile, "call": "panic(\"no\")" }),
    );
    for id in ids.iter().chain([&failed]) {
        server.finished(ALICE, id);
    }
    let list = |query: &str| server.get(&format!("/v1/tasks?{query}"), ALICE);
    let ids_of = |reply: &wask_tests::service::Reply| -> Vec<String> {
        reply.json()["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let failed_only = list("state=failed");
    assert_eq!(ids_of(&failed_only), std::slice::from_ref(&failed));
    assert_eq!(
        failed_only.json()["tasks"][0]["error"]["kind"],
        "trap",
        "a listed failure says why"
    );
    assert_eq!(
        ids_of(&list("function=panic")),
        std::slice::from_ref(&failed)
    );
    assert_eq!(ids_of(&list(&format!("component={noop}"))).len(), 5);
    // Pages of two, newest first, until `next` is null.
    let mut seen = Vec::new();
    let mut query = "limit=2".to_owned();
    loop {
        let page = list(&query);
        seen.extend(ids_of(&page));
        match page.json()["next"].as_u64() {
            Some(next) => query = format!("limit=2&before={next}"),
            None => break,
        }
    }
    let mut expected: Vec<String> = ids.iter().chain([&failed]).cloned().collect();
    expected.reverse();
    assert_eq!(seen, expected);
    for bad in [
        "state=lost",
        "kind=thing",
        "component=abc",
        "colour=red",
        "limit=x",
    ] {
        let reply = list(bad);
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text());
    }
}

/// One way of reaching an id: the answer to it.
type Probe<'a> = Box<dyn Fn(&str) -> wask_tests::service::Reply + 'a>;

/// Everything alice owns: her component, a finished task, a running one and an
/// object; every way bob could reach one answers exactly as an unknown id does.
#[test]
fn a_tenant_cannot_read_wait_on_cancel_list_or_use_another_tenants_ids() {
    let server = two_tenants();
    let hostile = server.upload(ALICE, guests::HOSTILE);
    let bobs_hostile = server.upload(BOB, guests::HOSTILE);
    assert_eq!(
        hostile, bobs_hostile,
        "the same bytes have the same content id"
    );
    let done = server.submit(ALICE, &json!({ "component": hostile, "call": "add(1, 2)" }));
    server.finished(ALICE, &done);
    let running = server.submit(
        ALICE,
        &json!({ "component": hostile, "call": "spin()", "timeout": "60s" }),
    );
    let put = http(
        "POST",
        &format!("{}/v1/objects", server.url),
        Some(ALICE),
        Some(("application/octet-stream", b"secret")),
    );
    let object = put.json()["id"].as_str().unwrap().to_owned();
    let unknown = "0123456789abcdef0123456789abcdef".to_owned();
    // Each probe of bob's, with alice's id and with an unknown one.
    let probes: Vec<(&str, Probe)> = vec![
        (
            "get task",
            Box::new(|id| server.get(&format!("/v1/tasks/{id}?wait=0.1"), BOB)),
        ),
        (
            "get result",
            Box::new(|id| server.get(&format!("/v1/tasks/{id}/result"), BOB)),
        ),
        (
            "get object",
            Box::new(|id| server.get(&format!("/v1/objects/{id}"), BOB)),
        ),
        (
            "cancel",
            Box::new(|id| server.post(&format!("/v1/tasks/{id}/cancel"), BOB, &json!({}))),
        ),
        (
            "forget task",
            Box::new(|id| server.delete(&format!("/v1/tasks/{id}"), BOB)),
        ),
        (
            "forget object",
            Box::new(|id| server.delete(&format!("/v1/objects/{id}"), BOB)),
        ),
        (
            "wait",
            Box::new(|id| server.post("/v1/wait", BOB, &json!({ "ids": [id], "timeout": 0.1 }))),
        ),
        (
            "use as an argument",
            Box::new(|id| {
                server.post(
                    "/v1/tasks",
                    BOB,
                    &json!({ "component": bobs_hostile, "function": "add", "args": [{ "$ref": id }, 1] }),
                )
            }),
        ),
    ];
    for alices in [&done, &running, &object] {
        for (what, probe) in &probes {
            let theirs = probe(alices);
            let nobodys = probe(&unknown);
            assert_eq!(theirs.status, 404, "{what} {alices}: {}", theirs.text());
            assert_eq!(
                theirs.text(),
                nobodys.text().replace(&unknown, alices),
                "{what}: alice's id answers as an unknown one"
            );
        }
    }
    // Nothing of alice's is in bob's lists, metrics, events or dashboard.
    assert_eq!(server.get("/v1/tasks", BOB).json()["tasks"], json!([]));
    let metrics = server.get("/metrics", BOB).text();
    assert!(!metrics.contains("alice"), "{metrics}");
    let dashboard = server.get("/v1/dashboard", BOB).text();
    assert!(!dashboard.contains("alice"), "{dashboard}");
    assert!(!dashboard.contains(&running), "{dashboard}");
    // Alice's things are untouched by all of it.
    assert_eq!(
        server.get(&format!("/v1/tasks/{running}"), ALICE).json()["state"],
        "running"
    );
    assert_eq!(
        server.get(&format!("/v1/objects/{object}"), ALICE).body,
        b"secret"
    );
    server.post(&format!("/v1/tasks/{running}/cancel"), ALICE, &json!({}));
}

#[test]
fn tokens_no_token_a_wrong_one_and_the_admins() {
    let server = two_tenants();
    let url = |path: &str| format!("{}{path}", server.url);
    let none = http("GET", &url("/v1/tasks"), None, None);
    assert_eq!(none.status, 401);
    assert_eq!(
        none.header("www-authenticate"),
        Some("Bearer realm=\"wask\"")
    );
    assert!(none.message().contains("missing token"));
    let wrong = http("GET", &url("/v1/tasks"), Some("wask_guess"), None);
    assert_eq!(
        (wrong.status, wrong.message().as_str()),
        (401, "unknown token")
    );
    let basic = http_with("GET", &url("/v1/tasks"), Some("Basic YWxpY2U6eA=="), None);
    assert_eq!(basic.status, 401);
    // A tenant's token in another scheme's clothes, or with its case changed.
    let cased = http("GET", &url("/v1/tasks"), Some(&ALICE.to_uppercase()), None);
    assert_eq!(cased.status, 401);
    for path in [
        "/metrics",
        "/v1/dashboard",
        "/v1/events",
        "/v1/whoami",
        "/v1/components",
    ] {
        assert_eq!(http("GET", &url(path), None, None).status, 401, "{path}");
    }
    // The admin sees, and acts for no tenant.
    assert_eq!(
        server.get("/v1/whoami", ADMIN).json(),
        json!({ "admin": true, "tenant": null })
    );
    assert_eq!(
        server.get("/v1/whoami", ALICE).json(),
        json!({ "admin": false, "tenant": "alice" })
    );
    let admin_submit = server.post("/v1/tasks", ADMIN, &json!({}));
    assert_eq!(admin_submit.status, 403);
    assert_eq!(admin_submit.code(), "admin_token");
    let tenants = server.get("/v1/tenants", ADMIN).json();
    let ids: Vec<&str> = tenants["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alice", "bob"]);
    assert!(!tenants.to_string().contains("sha256"), "no token hashes");
    assert_eq!(server.get("/v1/tenants", ALICE).status, 403);
    let metrics = server.get("/metrics", ADMIN).text();
    assert!(metrics.contains("tenant=\"alice\"") && metrics.contains("tenant=\"bob\""));
    // What needs no token.
    for path in ["/", "/openapi.json", "/healthz"] {
        assert_eq!(http("GET", &url(path), None, None).status, 200, "{path}");
    }
    assert_eq!(http("GET", &url("/v2/nothing"), None, None).status, 404);
    assert_eq!(
        http("PUT", &url("/v1/tasks"), Some(ALICE), None).status,
        405
    );
}

/// Each malformed request answers 400 naming what was wrong, and nothing runs.
#[test]
fn bad_requests_name_the_problem_and_nothing_runs() {
    let server = InProcess::start(&tenants_toml(
        "max-retries = 2\n[tenants.alice.limits]\ntimeout = \"10s\"\nmax-memory = \"64M\"",
        "",
    ));
    let noop = server.upload(ALICE, guests::NOOP);
    let cases: Vec<(Json, &str, &str)> = vec![
        (
            json!({ "component": noop }),
            "invalid_call",
            "the call is missing",
        ),
        (
            json!({ "component": noop, "call": "add(1, 2)", "function": "add" }),
            "invalid_call",
            "not both",
        ),
        (
            json!({ "component": noop, "call": "add(1, 2)", "args": [] }),
            "invalid_call",
            "`args` goes with `function`",
        ),
        (
            json!({ "call": "add(1, 2)" }),
            "invalid_call",
            "`component` is missing",
        ),
        (
            json!({ "component": "md5:abc", "call": "add(1, 2)" }),
            "invalid_id",
            "expected `sha256:` and 64 hex digits",
        ),
        (
            json!({ "component": noop, "call": "add(1, 2" }),
            "invalid_call",
            "cannot parse call",
        ),
        (
            json!({ "component": noop, "call": "add(1)" }),
            "invalid_call",
            "`add` takes 2 arguments (add: func(a: u64, b: u64) -> u64), but 1 was given",
        ),
        (
            json!({ "component": noop, "call": "add(-1, 2)" }),
            "invalid_call",
            "argument 1 (`a`) of `add`: expected u64",
        ),
        (
            json!({ "component": noop, "function": "add_one", "args": [] }),
            "invalid_call",
            "unknown function `add_one`",
        ),
        (
            json!({ "component": noop, "function": "add", "args": [1, 2, 3] }),
            "invalid_argument",
            "takes 2 arguments",
        ),
        (
            json!({ "component": noop, "function": "echo", "args": [[1, 256]] }),
            "invalid_argument",
            "argument 1 (`data`) of `echo`",
        ),
        (
            json!({ "component": noop, "call": "noop()", "colour": "red" }),
            "invalid_json",
            "unknown field `colour`",
        ),
        (
            json!({ "component": noop, "call": "noop()", "timeout": "20s" }),
            "invalid_option",
            "timeout 20.000 s is more than tenant `alice`'s cap of 10.000 s",
        ),
        (
            json!({ "component": noop, "call": "noop()", "timeout": "soon" }),
            "invalid_json",
            "expected a duration such as 30, 500ms, 2s, 1m or 1h, got `soon`",
        ),
        (
            json!({ "component": noop, "call": "noop()", "limits": { "max_memory": "1G" } }),
            "invalid_option",
            "limits.max_memory 1 GiB is more than tenant `alice`'s cap of 64 MiB",
        ),
        (
            json!({ "component": noop, "call": "noop()", "limits": { "fuel": 10 } }),
            "invalid_option",
            "meters no fuel",
        ),
        (
            json!({ "component": noop, "call": "noop()", "max_retries": 3 }),
            "invalid_option",
            "max_retries 3 is more than tenant `alice`'s cap of 2",
        ),
        (json!([1, 2]), "invalid_json", "the body is not a task"),
    ];
    for (body, code, message) in &cases {
        let reply = server.post("/v1/tasks", ALICE, body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert_eq!(reply.code(), *code, "{body}: {}", reply.text());
        assert!(
            reply.message().contains(message),
            "{body}: expected {message:?} in {:?}",
            reply.message()
        );
    }
    for raw in [&b"{\"component\":"[..], b"\xff\xfe", b""] {
        let reply = http(
            "POST",
            &format!("{}/v1/tasks", server.url),
            Some(ALICE),
            Some(("application/json", raw)),
        );
        assert_eq!(reply.status, 400);
        assert_eq!(reply.code(), "invalid_json");
    }
    let bad_wait = server.get(
        "/v1/tasks/0123456789abcdef0123456789abcdef?wait=never",
        ALICE,
    );
    assert_eq!(bad_wait.status, 400);
    assert!(bad_wait.message().starts_with("wait: expected a duration"));
    let metrics = server.get("/metrics", ALICE).text();
    assert!(
        metrics.contains("wask_tasks_submitted_total{tenant=\"alice\"} 0\n"),
        "nothing ran:\n{metrics}"
    );
}

#[test]
fn body_caps_rate_limits_and_quotas_answer_413_429_and_403() {
    let server = InProcess::start_with(
        &tenants_toml(
            "rate-limit = 1\nburst = 3",
            "max-pending = 1\nmax-components = 1\nobject-quota = \"1K\"\nmax-concurrency = 1",
        ),
        |config| config.http.max_body_bytes = 4096,
    );
    // Bodies over the cap, declared or streamed, are refused before they are read.
    let big = vec![b'x'; 5000];
    let reply = http(
        "POST",
        &format!("{}/v1/objects", server.url),
        Some(BOB),
        Some(("application/octet-stream", &big)),
    );
    assert_eq!(reply.status, 413);
    assert_eq!(reply.code(), "payload_too_large");
    assert!(
        reply.message().contains("limit of 4 KiB"),
        "{}",
        reply.message()
    );
    let chunked = chunked_request(&server.url, "/v1/objects", BOB, &big);
    assert!(chunked.starts_with("HTTP/1.1 413"), "{chunked}");
    // Alice may make 3 requests at once, then 1 a second.
    let statuses: Vec<u16> = (0..4)
        .map(|_| server.get("/v1/tasks", ALICE).status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
    let limited = server.get("/v1/tasks", ALICE);
    assert_eq!(limited.code(), "rate_limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    // Bob may have one unfinished task.
    let hostile = server.upload(BOB, guests::HOSTILE);
    let spin = server.submit(
        BOB,
        &json!({ "component": hostile, "call": "spin()", "timeout": "60s" }),
    );
    let second = server.post(
        "/v1/tasks",
        BOB,
        &json!({ "component": hostile, "call": "add(1, 1)" }),
    );
    assert_eq!(second.status, 429);
    assert_eq!(second.code(), "too_many_pending");
    assert!(second.header("retry-after").is_some());
    assert!(second.message().contains("at most 1 (max-pending)"));
    server.post(&format!("/v1/tasks/{spin}/cancel"), BOB, &json!({}));
    server.finished(BOB, &spin);
    // One component, and 1 KiB of objects.
    let noop = std::fs::read(guests::NOOP).unwrap();
    let over = http(
        "POST",
        &format!("{}/v1/components", server.url),
        Some(BOB),
        Some(("application/wasm", &noop)),
    );
    assert_eq!(over.status, 403);
    assert_eq!(over.code(), "quota_exceeded");
    let put = |n: usize| {
        http(
            "POST",
            &format!("{}/v1/objects", server.url),
            Some(BOB),
            Some(("application/octet-stream", &vec![7; n])),
        )
    };
    assert_eq!(put(800).status, 201);
    let full = put(800);
    assert_eq!(full.status, 403);
    assert_eq!(full.code(), "quota_exceeded");
    assert!(full.message().contains("quota"), "{}", full.message());
}

/// Sends `body` chunked (no Content-Length) on a raw connection; gives the status line.
fn chunked_request(url: &str, path: &str, token: &str, body: &[u8]) -> String {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    for chunk in body.chunks(1000) {
        let _ = stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
        let _ = stream.write_all(chunk);
        let _ = stream.write_all(b"\r\n");
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn slow_clients_are_cut_off() {
    let server = InProcess::start_with(&tenants_toml("", ""), |config| {
        config.http.header_timeout = Duration::from_millis(500);
        config.http.body_timeout = Duration::from_millis(500);
    });
    let addr = server.url.trim_start_matches("http://").to_owned();
    // Headers that never end: the connection is closed.
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(b"GET /v1/tasks HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // A body that stalls: 408.
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST /v1/objects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE}\r\nContent-Length: 100\r\n\r\nonly a little"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    // The service still answers others.
    assert_eq!(server.get("/v1/whoami", ALICE).status, 200);
}

#[test]
fn events_stream_a_tenants_own_task_events() {
    let server = two_tenants();
    let noop = server.upload(ALICE, guests::NOOP);
    let bobs = server.upload(BOB, guests::NOOP);
    let stream = |token: &'static str| {
        let addr = server.url.trim_start_matches("http://").to_owned();
        let mut conn = TcpStream::connect(&addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_mins(1))).unwrap();
        conn.write_all(
            format!("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        let mut reader = std::io::BufReader::new(conn);
        let mut line = String::new();
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        reader
    };
    let mut alices = stream(ALICE);
    let mut bobs_stream = stream(BOB);
    // Alice's task first, then bob's: bob's stream must start with his own.
    let alice_task = server.submit(ALICE, &json!({ "component": noop, "call": "noop()" }));
    server.finished(ALICE, &alice_task);
    let bob_task = server.submit(BOB, &json!({ "component": bobs, "call": "noop()" }));
    let events_until_finished = |reader: &mut std::io::BufReader<TcpStream>, id: &str| {
        let mut kinds = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            std::io::BufRead::read_line(reader, &mut line).unwrap();
            let Some(data) = line.trim_end().strip_prefix("data: ") else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<Json>(data) else {
                continue;
            };
            assert_eq!(event["id"], id, "an event of another task: {event}");
            kinds.push(event["kind"].as_str().unwrap().to_owned());
            if event["kind"] == "finished" {
                assert_eq!(event["state"], "succeeded");
                return kinds;
            }
        }
    };
    assert_eq!(
        events_until_finished(&mut alices, &alice_task),
        ["submitted", "started", "finished"]
    );
    assert_eq!(
        events_until_finished(&mut bobs_stream, &bob_task),
        ["submitted", "started", "finished"]
    );
    let other = server.get("/v1/events?tenant=alice", BOB);
    assert_eq!(other.status, 404);
}

#[test]
fn metrics_are_prometheus_text_per_tenant() {
    let server = two_tenants();
    let noop = server.upload(ALICE, guests::NOOP);
    let id = server.submit(ALICE, &json!({ "component": noop, "call": "add(1, 2)" }));
    server.finished(ALICE, &id);
    let reply = server.get("/metrics", ADMIN);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = reply.text();
    for line in [
        "wask_tasks_submitted_total{tenant=\"alice\"} 1",
        "wask_tasks_finished_total{tenant=\"alice\",outcome=\"succeeded\"} 1",
        "wask_tasks{tenant=\"bob\",state=\"queued\"} 0",
        "wask_queue_depth{tenant=\"alice\"} 0",
        "wask_task_run_seconds_count{tenant=\"alice\"} 1",
        "wask_task_queue_seconds_bucket{tenant=\"alice\",le=\"+Inf\"} 1",
        "wask_worker_slots 2",
        "wask_worker_slots_busy 0",
        "wask_components{tenant=\"alice\"} 1",
        "# TYPE wask_task_run_seconds histogram",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    // Every sample line is `name{labels} number`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}

#[test]
fn the_openapi_document_describes_every_route() {
    let server = two_tenants();
    let reply = http("GET", &format!("{}/openapi.json", server.url), None, None);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.0.3");
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    let mut routes = vec![
        "/",
        "/healthz",
        "/openapi.json",
        "/metrics",
        "/v1/whoami",
        "/v1/tenants",
        "/v1/dashboard",
        "/v1/events",
        "/v1/components",
        "/v1/components/{id}",
        "/v1/tasks",
        "/v1/tasks/batch",
        "/v1/tasks/{id}",
        "/v1/tasks/{id}/result",
        "/v1/tasks/{id}/cancel",
        "/v1/wait",
        "/v1/objects",
        "/v1/objects/{id}",
    ];
    routes.sort_unstable();
    assert_eq!(paths, routes);
    // Every route of the document answers something other than 404 for its method
    // (the router has it), with an id that does not exist where one is asked for.
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path == "/v1/events" {
            continue; // a stream that does not end; its own test reads it
        }
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "0123456789abcdef0123456789abcdef");
            let reply = http(
                &method.to_uppercase(),
                &format!("{}{concrete}?wait=0", server.url),
                Some(ALICE),
                Some(("application/json", b"{}")),
            );
            if reply.status == 404 {
                assert_eq!(reply.code(), "not_found");
                assert!(!reply.message().starts_with("no route"), "{method} {path}");
            }
            assert!(
                item[method]["responses"].as_object().is_some(),
                "{method} {path}"
            );
        }
    }
}

/// Seed cases 1, 2 and 3 through the service, as the README runs them.
#[test]
fn the_three_seed_cases_run_through_the_service() {
    let server = two_tenants();
    let fib = server.upload(ALICE, guests::FIBONACCI);
    let pi = server.upload(ALICE, guests::MONTE_CARLO_PI);
    let images = server.upload(ALICE, guests::IMAGE_FILTERS);
    let batch = |component: &str, calls: Vec<Json>| -> Vec<Json> {
        let reply = server.post(
            "/v1/tasks/batch",
            ALICE,
            &json!({ "component": component, "tasks": calls }),
        );
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| server.finished(ALICE, id.as_str().unwrap()))
            .collect()
    };
    let lengths = batch(
        &fib,
        vec![json!({ "call": "generate-fibonacci(20000)" }); 2],
    );
    assert!(lengths.iter().all(|t| t["result"] == 20000), "{lengths:?}");
    let samples = batch(
        &pi,
        (0..4)
            .map(|seed| json!({ "function": "sample", "args": [seed, 100_000] }))
            .collect(),
    );
    let inside: u64 = samples.iter().map(|t| t["result"].as_u64().unwrap()).sum();
    let estimate = 4.0 * inside as f64 / 400_000.0;
    assert!((estimate - std::f64::consts::PI).abs() < 0.05, "{estimate}");
    let png = wask_kernels::sample_images::sample_png(0, 128);
    let put = http(
        "POST",
        &format!("{}/v1/objects", server.url),
        Some(ALICE),
        Some(("application/octet-stream", &png)),
    );
    let image = put.json()["id"].as_str().unwrap().to_owned();
    let id = server.submit(
        ALICE,
        &json!({ "component": images, "function": "grayscale-blur", "args": [{ "$ref": image }] }),
    );
    assert_eq!(server.finished(ALICE, &id)["state"], "succeeded");
    let out = server.get(&format!("/v1/tasks/{id}/result"), ALICE);
    assert_eq!(out.header("content-type"), Some("application/octet-stream"));
    let got = wask_kernels::image_filters::decode(&out.body)
        .unwrap()
        .to_luma8();
    let reference = wask_kernels::image_filters::grayscale_blur_pixels(
        &wask_kernels::image_filters::decode(&png).unwrap(),
    );
    assert!(got == reference, "the guest's image is the native kernel's");
}

/// `host serve` stops on SIGTERM: no new connections, the tasks in flight finish
/// (a long poll gets its result), and it exits 0.
#[test]
fn sigterm_lets_the_tasks_in_flight_finish_and_exits_0() {
    let mut served = Served::start("sigterm", &tenants_toml("", ""), &["-j", "1"]);
    let fib = served.upload(ALICE, guests::FIBONACCI);
    let running = served.submit(
        ALICE,
        &json!({ "component": fib, "call": "generate-fibonacci(100000)" }),
    );
    served.running(ALICE, &running);
    // A second task, submitted with a long poll: its answer comes once it finished.
    let url = served.url.clone();
    let poll = {
        let url = url.clone();
        let body = json!({ "component": fib, "call": "generate-fibonacci(50000)", "wait": "60s" });
        std::thread::spawn(move || {
            http(
                "POST",
                &format!("{url}/v1/tasks"),
                Some(ALICE),
                Some(("application/json", &json_body(&body))),
            )
        })
    };
    // The long poll is in once the service has registered its task; then the signal.
    served.listed(ALICE, "function=generate-fibonacci", 2);
    served.signal(libc::SIGTERM);
    served.wait_for_log("stopping: no new work");
    let answer = poll.join().unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(answer.json()["state"], "succeeded");
    assert_eq!(answer.json()["result"], 50000);
    let status = served
        .wait(Duration::from_mins(1))
        .expect("host serve exits");
    assert_eq!(status.code(), Some(0), "{}", served.stderr());
    assert!(served.stderr().contains("stopped"), "{}", served.stderr());
    assert!(
        TcpStream::connect(url.trim_start_matches("http://")).is_err(),
        "no new connections after it stopped"
    );
}

/// Tasks still running when the grace period ends are cancelled; it exits 0.
#[test]
fn sigterm_cancels_what_outlives_the_grace_period() {
    let mut served = Served::start(
        "grace",
        &tenants_toml("", ""),
        &["-j", "1", "--grace", "300ms"],
    );
    let hostile = served.upload(ALICE, guests::HOSTILE);
    // A task submitted with a long poll that outlives the grace period.
    let url = served.url.clone();
    let poll = {
        let body =
            json!({ "component": hostile, "call": "spin()", "timeout": "120s", "wait": "60s" });
        std::thread::spawn(move || {
            http(
                "POST",
                &format!("{url}/v1/tasks"),
                Some(ALICE),
                Some(("application/json", &json_body(&body))),
            )
        })
    };
    served.listed(ALICE, "state=running", 1);
    served.signal(libc::SIGTERM);
    let answer = poll.join().unwrap();
    assert_eq!(answer.json()["state"], "cancelled", "{}", answer.text());
    let status = served
        .wait(Duration::from_mins(1))
        .expect("host serve exits");
    assert_eq!(status.code(), Some(0), "{}", served.stderr());
    assert!(
        served
            .stderr()
            .contains("cancelling 1 tasks still in flight"),
        "{}",
        served.stderr()
    );
}

/// SIGHUP reads the tenants file again: a new tenant's token works at once, a
/// removed one's is refused, and a bad file changes nothing (and says where).
#[test]
fn sighup_reloads_the_tenants_file_without_dropping_tasks() {
    let start = tenants_toml("", "");
    let alice_only = start[..start.find("[tenants.bob]").unwrap()].to_owned();
    let served = Served::start("sighup", &alice_only, &[]);
    assert_eq!(served.get("/v1/whoami", BOB).status, 401);
    let hostile = served.upload(ALICE, guests::HOSTILE);
    let spin = served.submit(
        ALICE,
        &json!({ "component": hostile, "call": "spin()", "timeout": "60s" }),
    );
    std::fs::write(&served.tenants_path, &start).unwrap();
    served.signal(libc::SIGHUP);
    served.wait_for_log("tenants file read again");
    assert_eq!(served.get("/v1/whoami", BOB).json()["tenant"], "bob");
    // A broken file: refused with its line, and the tenants stay as they were.
    std::fs::write(
        &served.tenants_path,
        format!("{start}\n[tenants.carol]\ntoken = 12\n"),
    )
    .unwrap();
    served.signal(libc::SIGHUP);
    served.wait_for_log("tenants file not reloaded");
    assert!(
        served.stderr().contains("tenants.toml:"),
        "{}",
        served.stderr()
    );
    assert_eq!(served.get("/v1/whoami", BOB).status, 200);
    // Bob removed: refused; alice's task ran on through all of it.
    std::fs::write(&served.tenants_path, &alice_only).unwrap();
    served.signal(libc::SIGHUP);
    served.wait_for_log("tenant `bob` was removed");
    assert_eq!(served.get("/v1/whoami", BOB).status, 401);
    assert_eq!(
        served.get(&format!("/v1/tasks/{spin}"), ALICE).json()["state"],
        "running"
    );
    served.post(&format!("/v1/tasks/{spin}/cancel"), ALICE, &json!({}));
}

#[test]
fn host_serve_refuses_a_bad_tenants_file() {
    let dir = std::env::temp_dir().join(format!("wask-serve-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tenants.toml");
    std::fs::write(&path, "[tenants.alice]\ntoken = \"secret\"\n").unwrap();
    let path = path.to_str().unwrap();
    let out = wask_tests::check(&["serve", "--tenants", path], None, 2, "tenants.toml:2:9:");
    assert!(wask_tests::stderr(&out).contains("expected `sha256:` and 64 hex digits"));
    let token = wask_tests::run_host(&["token"], None);
    let text = wask_tests::stdout(&token);
    let (line, hash_line) = text.split_once('\n').unwrap();
    let token = line.split('"').nth(1).unwrap();
    let hashed = wask_tests::run_host(&["token", "--hash"], Some(token));
    assert_eq!(
        hash_line.split('"').nth(1).unwrap(),
        wask_tests::stdout(&hashed).trim()
    );
}

/// `host serve --nats`: the same API, with tasks run by the cluster's `host worker`s.
#[test]
fn host_serve_runs_tasks_on_a_cluster_with_nats() {
    let cluster = wask_tests::cluster::Cluster::start("serve", 1, 2);
    let served = Served::start(
        "nats",
        &tenants_toml("", ""),
        &["--nats", &cluster.nats.url()],
    );
    let fib = served.upload(ALICE, guests::FIBONACCI);
    let hostile = served.upload(BOB, guests::HOSTILE);
    let id = served.submit(ALICE, &json!({ "component": fib, "call": "fib(100)" }));
    let task = served.finished(ALICE, &id);
    assert_eq!(task["result"], "354224848179261915075", "{task}");
    assert!(
        task["worker"]["host"].is_string(),
        "ran on a cluster worker: {task}"
    );
    assert_eq!(served.get(&format!("/v1/tasks/{id}"), BOB).status, 404);
    let failed = served.submit(
        BOB,
        &json!({ "component": hostile, "call": "panic(\"far\")" }),
    );
    let task = served.finished(BOB, &failed);
    assert_eq!(task["state"], "failed", "{task}");
    assert!(
        task["error"]["message"].as_str().unwrap().contains("far"),
        "{task}"
    );
}

#[test]
fn host_submit_runs_calls_on_a_server_as_host_run_does() {
    let served = Served::start("submit", &tenants_toml("", ""), &[]);
    let url = served.url.as_str();
    let out = wask_tests::check(
        &[
            "submit",
            "--server",
            url,
            "--token",
            ALICE,
            guests::FIBONACCI,
            "--invoke",
            "fib(10)",
            "--invoke",
            "fib(100)",
        ],
        None,
        0,
        "2 tasks, 2 ok, 0 failed",
    );
    assert_eq!(
        wask_tests::stdout(&out),
        "\"55\"\n\"354224848179261915075\"\n"
    );
    let out = wask_tests::check(
        &[
            "submit",
            "--server",
            url,
            "--token",
            ALICE,
            guests::HOSTILE,
            "--json",
            "--invoke",
            "add(1, 2)",
            "--invoke",
            "panic(\"no\")",
        ],
        None,
        1,
        "2 tasks, 1 ok, 1 failed",
    );
    let lines: Vec<Json> = wask_tests::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0], json!({ "ok": 3 }));
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("guest panicked")
    );
    // A bad call: nothing runs, exit 2 naming it.
    wask_tests::check(
        &[
            "submit",
            "--server",
            url,
            "--token",
            ALICE,
            guests::FIBONACCI,
            "--invoke",
            "fib(1)",
            "--invoke",
            "fibb(2)",
        ],
        None,
        2,
        "tasks[1]: unknown function `fibb`",
    );
    wask_tests::check(
        &[
            "submit",
            "--server",
            url,
            "--token",
            "nope",
            guests::FIBONACCI,
            "--invoke",
            "fib(1)",
        ],
        None,
        2,
        "unknown token",
    );
    let ids = wask_tests::check(
        &[
            "submit",
            "--server",
            url,
            "--token",
            BOB,
            guests::NOOP,
            "--no-wait",
            "--invoke",
            "noop()",
        ],
        None,
        0,
        "",
    );
    let id = wask_tests::stdout(&ids).trim().to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert_eq!(served.finished(BOB, &id)["state"], "succeeded");
}

#[test]
fn json_bodies_of_every_shape_never_crash_the_service() {
    let server = two_tenants();
    let noop = server.upload(ALICE, guests::NOOP);
    let deep = "[".repeat(10_000);
    let bodies: Vec<Vec<u8>> = vec![
        deep.clone().into_bytes(),
        format!(
            "{{\"component\":\"{noop}\",\"call\":\"add({}1, 2)\"}}",
            "(".repeat(500)
        )
        .into_bytes(),
        format!("{{\"component\":\"{noop}\",\"function\":\"echo\",\"args\":[{deep}]}}")
            .into_bytes(),
        json_body(&json!({ "component": noop, "function": "add", "args": [{ "$ref": 5 }, 1] })),
        json_body(&json!({ "component": noop, "function": "add", "args": [1e300, 1] })),
        json_body(&json!({ "component": noop, "call": "add(1, 2)", "timeout": -1 })),
        json_body(&json!({ "component": noop, "call": "add(1, 2)", "timeout": 1e300 })),
        json_body(&json!({ "component": noop, "call": "add(1, 2)", "priority": 1e10 })),
        json_body(&json!({ "component": noop, "call": "\u{0}\u{1b}[31m" })),
    ];
    for body in bodies {
        for path in ["/v1/tasks", "/v1/tasks/batch", "/v1/wait"] {
            let reply = http(
                "POST",
                &format!("{}{path}", server.url),
                Some(ALICE),
                Some(("application/json", &body)),
            );
            assert!(
                reply.status == 400 || reply.status == 404,
                "{path} {}: {} {}",
                String::from_utf8_lossy(&body[..body.len().min(80)]),
                reply.status,
                reply.text()
            );
            assert!(!reply.text().contains('\u{1b}'), "escapes are escaped");
        }
    }
    assert_eq!(server.get("/healthz", ALICE).status, 200);
}
