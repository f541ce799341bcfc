//! The client API against a controller and engines running as threads of
//! the test: the course's examples, async results and their metadata,
//! and the faults (a wrong key, an engine that dies mid-task, a controller
//! that never answers or goes away).

use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cluster::conn;
use cluster::engine::{self, EngineOptions};
use cluster::frame::Limits;
use cluster::wire::{EngineInfo, Envelope, Hello};
use cluster::{
    Client, ClientOptions, ClusterError, ConnectionInfo, Controller, ControllerOptions, Key,
    Targets, Value,
};

/// A controller and `n` engines on threads; the log lines it wrote.
struct Hub {
    info: ConnectionInfo,
    log: Arc<Mutex<Vec<String>>>,
    serve: Option<std::thread::JoinHandle<cluster::Result<()>>>,
}

fn engine_options(info: &ConnectionInfo) -> EngineOptions {
    EngineOptions {
        connection: info.clone(),
        host: "testhost".into(),
        mpi: None,
        timeout: Duration::from_secs(5),
        limits: Limits::default(),
        data_port: true,
        on_controller_lost: None,
    }
}

impl Hub {
    fn start(n: usize) -> Hub {
        Hub::start_with(n, Limits::default())
    }

    /// `n` engines behind a controller that accepts frames within `limits`.
    fn start_with(n: usize, limits: Limits) -> Hub {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut opts = ControllerOptions::new(Key::generate().unwrap());
        opts.limits = limits;
        let sink = log.clone();
        opts.log = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string()));
        let c = Controller::bind(opts).unwrap();
        let info = c.info().clone();
        let serve = std::thread::spawn(move || c.serve());
        let hub = Hub {
            info,
            log,
            serve: Some(serve),
        };
        for _ in 0..n {
            hub.add_engine();
        }
        hub
    }

    fn add_engine(&self) -> u64 {
        self.add_engine_with(engine_options(&self.info))
    }

    fn add_engine_with(&self, opts: EngineOptions) -> u64 {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || engine::run(&opts, |id| tx.send(id).unwrap()));
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    }

    fn client(&self) -> Client {
        Client::connect(&self.info, &ClientOptions::default()).unwrap()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Ok(c) = Client::connect(&self.info, &ClientOptions::default()) {
            let _ = c.shutdown();
        }
        if let Some(s) = self.serve.take() {
            let _ = s.join();
        }
    }
}

#[test]
fn the_course_examples_through_the_api() {
    let hub = Hub::start(4);
    let rc = hub.client();
    assert_eq!(rc.ids().unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(rc.len().unwrap(), 4);
    let minus = |v: &cluster::DirectView| {
        v.apply("minus", vec![Value::Int(5), Value::Int(6)])
            .unwrap()
            .get()
            .unwrap()
    };
    assert_eq!(
        minus(&rc.direct_view(&Targets::One(0)).unwrap()),
        Value::Int(-1)
    );
    assert_eq!(
        minus(&rc.direct_view(&Targets::All).unwrap()).to_string(),
        "[-1, -1, -1, -1]"
    );
    assert_eq!(
        rc.direct_view(&"::2".parse().unwrap()).unwrap().targets(),
        &[0, 2]
    );
    let lb = rc.load_balanced_view();
    let r = lb
        .map(
            "minus",
            &[Value::parse("11,10,9,8"), Value::parse("5,6,7,8")],
        )
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(r.to_string(), "[6, 4, 2, 0]");

    let v = rc.direct_view(&Targets::All).unwrap();
    v.execute("x = getpid()").unwrap().get().unwrap();
    // Engines are threads of this process here: one pid, four times.
    let pid = Value::Int(i64::from(std::process::id()));
    assert_eq!(
        v.pull("x").unwrap().get().unwrap(),
        Value::List(vec![pid.clone(); 4])
    );
    assert_eq!(
        rc.direct_view(&Targets::One(3))
            .unwrap()
            .pull("x")
            .unwrap()
            .get()
            .unwrap(),
        pid
    );

    v.scatter("a", &Value::arange(16)).unwrap().get().unwrap();
    let parts = v.pull("a").unwrap().get().unwrap();
    assert_eq!(
        parts.to_string(),
        "[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]"
    );
    assert_eq!(v.gather("a").unwrap(), Value::arange(16));
    v.execute("c = a**2 + b; s = sum(a)")
        .unwrap()
        .get()
        .unwrap_err();
    v.push("b", Value::Int(1)).unwrap().get().unwrap();
    v.execute("c = a**2 + b; s = sum(a)")
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(
        v.pull("s").unwrap().get().unwrap().to_string(),
        "[6, 22, 38, 54]"
    );
    assert_eq!(
        v.gather("c").unwrap(),
        Value::ints((0..16).map(|i| i * i + 1).collect())
    );
}

#[test]
fn a_failing_statement_names_its_engine() {
    let hub = Hub::start(2);
    let rc = hub.client();
    let v = rc.direct_view(&Targets::All).unwrap();
    let e = v.execute("y = nothere + 1").unwrap().get().unwrap_err();
    assert!(matches!(e, ClusterError::Remote { engine: 0, .. }), "{e}");
    assert!(e.to_string().contains("`nothere` is not defined"), "{e}");
}

#[test]
fn async_results_report_readiness_and_metadata() {
    let hub = Hub::start(2);
    let rc = hub.client();
    let lb = rc.load_balanced_view();
    let t0 = engine::now();
    let mut r = lb.map("sleep", &[Value::floats(vec![0.3, 0.3])]).unwrap();
    assert!(!r.ready());
    assert!(!r.wait(Some(Duration::from_millis(10))));
    assert!(r.wait(Some(Duration::from_secs(10))));
    assert!(r.ready());
    let meta: Vec<_> = r.metadata().into_iter().map(Option::unwrap).collect();
    // Two engines were free: each took one of the two tasks, at once.
    let mut engines: Vec<u64> = meta.iter().map(|m| m.engine).collect();
    engines.sort();
    assert_eq!(engines, vec![0, 1]);
    for m in &meta {
        assert!(
            m.started >= t0 - 1.0 && m.finished - m.started >= 0.29,
            "{m:?}"
        );
    }
    assert_eq!(r.get().unwrap(), Value::List(vec![Value::Float(0.3); 2]));
}

#[test]
fn a_wrong_key_is_refused_for_clients_and_engines() {
    let hub = Hub::start(1);
    let mut wrong = hub.info.clone();
    wrong.key = Key::generate().unwrap();
    let e = Client::connect(&wrong, &ClientOptions::default())
        .err()
        .unwrap();
    assert!(e.to_string().contains("wrong key"), "{e}");
    let e = engine::run(&engine_options(&wrong), |_| panic!("registered")).unwrap_err();
    assert!(e.to_string().contains("wrong key"), "{e}");
    let log = hub.log();
    assert_eq!(log.matches("bad signature").count(), 2, "{log}");
    assert_eq!(hub.client().ids().unwrap(), vec![0]);
}

/// An engine that registers, takes one task and dies without answering.
fn dying_engine(info: &ConnectionInfo) -> (u64, std::thread::JoinHandle<()>) {
    let stream = conn::connect(&info.endpoint(), Duration::from_secs(5)).unwrap();
    let (mut reader, sender) =
        conn::split(stream, &info.key, Limits::default(), "controller").unwrap();
    sender
        .send(
            &Envelope::Hello(Hello::Engine(EngineInfo {
                pid: 4242,
                host: "doomed".into(),
                mpi: None,
                data: None,
                local: None,
            })),
            &[],
            None,
        )
        .unwrap();
    let Some((
        Envelope::Welcome {
            engine: Some(id), ..
        },
        _,
    )) = conn::read_envelope(&mut reader, Some(Duration::from_secs(5))).unwrap()
    else {
        panic!("not welcomed")
    };
    let t = std::thread::spawn(move || {
        let _task = reader.read().unwrap().unwrap();
        sender.close();
    });
    (id, t)
}

#[test]
fn a_dead_engine_fails_direct_tasks_and_load_balanced_ones_move() {
    let hub = Hub::start(0);
    let (doomed, t) = dying_engine(&hub.info);
    let rc = hub.client();
    let e = rc
        .direct_view(&Targets::One(doomed as i64))
        .unwrap()
        .apply("minus", vec![Value::Int(1), Value::Int(1)])
        .unwrap()
        .get()
        .unwrap_err();
    t.join().unwrap();
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("engine {doomed}"))
            && msg.contains("pid 4242 on doomed")
            && msg.contains("died"),
        "{msg}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !rc.ids().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the dead engine is still listed");
        std::thread::sleep(Duration::from_millis(10));
    }

    // A load-balanced task on a dying engine is retried on a live one. The
    // doomed engine registers first, so that (lowest id) it gets the task.
    let (doomed, t) = dying_engine(&hub.info);
    let live = hub.add_engine();
    let mut r = rc
        .load_balanced_view()
        .apply("minus", vec![Value::Int(7), Value::Int(2)])
        .unwrap();
    t.join().unwrap();
    assert!(r.wait(Some(Duration::from_secs(10))));
    assert_eq!(r.metadata()[0].unwrap().engine, live);
    assert_ne!(live, doomed);
    assert_eq!(r.get().unwrap(), Value::Int(5));

    // Without retries it fails, naming the engine.
    let (doomed, t) = dying_engine(&hub.info);
    // Keep the live engine busy so the doomed one gets the task.
    let busy = rc
        .direct_view(&Targets::One(live as i64))
        .unwrap()
        .apply("sleep", vec![Value::Float(0.5)])
        .unwrap();
    let r = rc
        .load_balanced_view()
        .retries(0)
        .apply("getpid", vec![])
        .unwrap();
    t.join().unwrap();
    let e = r.get().unwrap_err().to_string();
    assert!(e.contains(&format!("engine {doomed}")), "{e}");
    busy.get().unwrap();
}

#[test]
fn a_silent_or_vanished_controller_is_an_error_not_a_hang() {
    // A listener that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let info = ConnectionInfo {
        address: "127.0.0.1".into(),
        port: silent.local_addr().unwrap().port(),
        key: Key::generate().unwrap(),
    };
    let opts = ClientOptions {
        timeout: Duration::from_millis(300),
        ..ClientOptions::default()
    };
    let t = Instant::now();
    let e = Client::connect(&info, &opts).err().unwrap();
    assert!(e.to_string().contains("no answer"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
    drop(silent);
    let e = Client::connect(&info, &opts).err().unwrap();
    assert!(e.to_string().contains("cannot connect"), "{e}");

    // A controller that shuts down while a client waits on a task.
    let hub = Hub::start(1);
    let rc = hub.client();
    let r = rc
        .direct_view(&Targets::All)
        .unwrap()
        .apply("sleep", vec![Value::Float(0.5)])
        .unwrap();
    hub.client().shutdown().unwrap();
    let e = r.get();
    // Either the engine finished first, or the wait ends with an error.
    if let Err(e) = e {
        assert!(
            e.to_string().contains("controller") || e.to_string().contains("died"),
            "{e}"
        );
    }
    let e = rc.ids().unwrap_err();
    assert!(e.to_string().contains("not answering"), "{e}");
}

#[test]
fn concurrent_clients_through_one_controller() {
    let hub = Hub::start(2);
    let threads: Vec<_> = (0..4i64)
        .map(|k| {
            let info = hub.info.clone();
            std::thread::spawn(move || {
                let rc = Client::connect(&info, &ClientOptions::default()).unwrap();
                let xs = Value::ints((0..200).map(|i| i * k).collect());
                let ys = Value::ints(vec![1; 200]);
                let r = rc
                    .load_balanced_view()
                    .map("minus", &[xs, ys])
                    .unwrap()
                    .get()
                    .unwrap();
                assert_eq!(
                    r,
                    Value::List((0..200).map(|i| Value::Int(i * k - 1)).collect())
                );
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn large_arrays_scatter_and_gather_intact() {
    let hub = Hub::start(3);
    let rc = hub.client();
    let v = rc.direct_view(&Targets::All).unwrap();
    let data = Value::floats((0..1_000_001).map(|i| i as f64 * 0.5).collect());
    v.scatter("big", &data).unwrap().get().unwrap();
    assert_eq!(v.gather("big").unwrap(), data);
    let sums = v.execute("sum(big)").unwrap().get().unwrap();
    let Value::List(sums) = sums else { panic!() };
    let total: f64 = sums.iter().map(|s| s.as_f64().unwrap()).sum();
    assert_eq!(total, (0..1_000_001).map(|i| i as f64 * 0.5).sum::<f64>());
}

#[test]
fn engines_of_one_communicator_reduce_together() {
    let hub = Hub::start(0);
    let info = hub.info.clone();
    let (tx, rx) = mpsc::channel();
    let ranks = std::thread::spawn(move || {
        comm::Local::run(3, |world| {
            let tx = tx.clone();
            engine::run_with_comm(&engine_options(&info), Some(world), |id| {
                tx.send(id).unwrap()
            })
            .unwrap()
        })
        .unwrap()
    });
    for _ in 0..3 {
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
    }
    let rc = hub.client();
    let all = rc.direct_view(&Targets::All).unwrap();
    let mut ranks_seen = match all.apply("rank", vec![]).unwrap().get().unwrap() {
        Value::List(v) => v.iter().map(|r| r.as_i64().unwrap()).collect::<Vec<_>>(),
        other => panic!("{other}"),
    };
    ranks_seen.sort();
    assert_eq!(ranks_seen, vec![0, 1, 2]);
    // Every engine adds its rank + 1: 1 + 2 + 3 on each.
    all.execute("r = rank()").unwrap().get().unwrap();
    all.execute("y = r + 1").unwrap().get().unwrap();
    all.execute("t = allreduce(y)").unwrap().get().unwrap();
    assert_eq!(
        all.pull("t").unwrap().get().unwrap(),
        Value::List(vec![Value::Float(6.0); 3])
    );
    drop(hub);
    ranks.join().unwrap();
}

/// A key holder's push of a million nested lists: the engine refuses the
/// task with an error naming the depth limit, instead of overflowing its
/// stack while decoding, and runs the next task as before.
#[test]
fn a_deeply_nested_value_is_refused_and_the_engine_lives_on() {
    use cluster::value::MAX_DEPTH;
    use cluster::wire::{self, Route, Task};
    let hub = Hub::start(1);
    let stream = conn::connect(&hub.info.endpoint(), Duration::from_secs(5)).unwrap();
    let (mut reader, sender) =
        conn::split(stream, &hub.info.key, Limits::default(), "controller").unwrap();
    sender
        .send(&Envelope::Hello(Hello::Client), &[], None)
        .unwrap();
    let Some((Envelope::Welcome { engine: None, .. }, _)) =
        conn::read_envelope(&mut reader, Some(Duration::from_secs(5))).unwrap()
    else {
        panic!("not welcomed")
    };
    // `Push { x = None }` with the value's four bytes replaced by a
    // million `List` headers (variant 7, one element) around a `None`.
    let mut body = wire::encode(&Task::Push {
        values: vec![("x".into(), Value::None)],
    });
    body.truncate(body.len() - 4);
    for _ in 0..1_000_000 {
        body.extend_from_slice(&7u32.to_le_bytes());
        body.extend_from_slice(&1u64.to_le_bytes());
    }
    body.extend_from_slice(&0u32.to_le_bytes());
    sender
        .send(
            &Envelope::Submit {
                req: 1,
                route: Route::Engine(0),
            },
            &body,
            None,
        )
        .unwrap();
    let Some((
        Envelope::Result {
            req: 1, engine: 0, ..
        },
        outcome,
    )) = conn::read_envelope(&mut reader, Some(Duration::from_secs(30))).unwrap()
    else {
        panic!("no result")
    };
    let e = wire::decode_outcome(&outcome, "engine 0")
        .unwrap()
        .unwrap_err();
    assert!(e.contains(&format!("more than {MAX_DEPTH}")), "{e}");
    let client = hub.client();
    let one = client.direct_view(&Targets::One(0)).unwrap();
    let r = one
        .apply("minus", vec![Value::Int(5), Value::Int(6)])
        .unwrap();
    assert_eq!(r.get().unwrap(), Value::Int(-1));
}

/// Scatter and gather through the engines' data ports, and through the
/// controller for an engine without one, in one view; the controller
/// orders a scatter before the tasks submitted after it, though its data
/// travels on other connections.
/// Scatter and gather over the engines' data ports (TCP: the path of
/// engines on other hosts) and over their local ports (memory files), a
/// block per engine of an n-d array of each kind.
#[test]
fn arrays_cross_the_data_ports_and_the_local_ports_intact() {
    let hub = Hub::start(2);
    let m = Value::Ints(cluster::NdArray {
        shape: vec![50_001, 2],
        data: (0..100_002).map(|i| i * 3 - 7).collect(),
    });
    let f = Value::floats((0..200_001).map(|i| f64::from(i) * -0.125).collect());
    for local in [false, true] {
        let opts = ClientOptions {
            local,
            ..ClientOptions::default()
        };
        let rc = Client::connect(&hub.info, &opts).unwrap();
        let all = rc.direct_view(&Targets::All).unwrap();
        for v in [&m, &f] {
            all.scatter("v", v).unwrap().get().unwrap();
            assert_eq!(&all.gather("v").unwrap(), v, "local {local}");
            let rows = all.execute("len(v)").unwrap().get().unwrap();
            let half = |n: i64| Value::List(vec![Value::Int((n + 1) / 2), Value::Int(n / 2)]);
            let n = if v == &m { 50_001 } else { 200_001 };
            assert_eq!(rows, half(n), "local {local}");
        }
    }
}

#[test]
fn bulk_data_skips_the_controller_in_order() {
    let hub = Hub::start(2);
    let mut no_port = engine_options(&hub.info);
    no_port.data_port = false;
    hub.add_engine_with(no_port);
    let client = hub.client();
    let all = client.direct_view(&Targets::All).unwrap();
    assert_eq!(all.targets(), &[0, 1, 2]);
    let n = 300_001;
    let x = Value::floats((0..n).map(|i| i as f64 * 0.5).collect());
    for round in 0..3 {
        let scattered = all.scatter("x", &x).unwrap();
        // Submitted before the scatter's result is awaited: each engine
        // runs it after storing its block.
        let sums = all.execute("s = sum(x)").unwrap();
        let gathered = all.gather("x").unwrap();
        scattered.get().unwrap();
        sums.get().unwrap();
        assert_eq!(gathered, x, "round {round}");
        let s = all.pull("s").unwrap().get().unwrap();
        let want: Vec<Value> = (0..3)
            .map(|i| {
                let r = comm::block_range(n, 3, i);
                Value::Float(r.map(|k| k as f64 * 0.5).sum())
            })
            .collect();
        assert_eq!(s, Value::List(want));
    }
    // One engine, a list value, an undefined name.
    let one = client.direct_view(&Targets::One(1)).unwrap();
    one.scatter(
        "l",
        &Value::List(vec![Value::Int(1), Value::Str("b".into())]),
    )
    .unwrap()
    .get()
    .unwrap();
    assert_eq!(one.gather("l").unwrap().to_string(), "[1, 'b']");
    let e = all.gather("nothing").unwrap_err().to_string();
    assert!(e.contains("`nothing` is not defined"), "{e}");
    // Blocks larger than the controller accepts: they never pass it (a
    // push of one through the controller is refused).
    let small = Limits {
        max_header: 1 << 20,
        max_body: 1 << 20,
    };
    let hub2 = Hub::start_with(2, small);
    let client2 = hub2.client();
    let both = client2.direct_view(&Targets::All).unwrap();
    let big = Value::arange(400_000);
    both.scatter("big", &big).unwrap().get().unwrap();
    assert_eq!(both.gather("big").unwrap(), big);
    assert!(both
        .push("big", Value::arange(200_000))
        .and_then(|r| r.get())
        .is_err());
}

/// A gather from a busy engine gives up at its timeout, with the timeout
/// error, whichever path its data takes.
#[test]
fn a_gather_gives_up_at_its_timeout() {
    let hub = Hub::start(1);
    let client = hub.client();
    let one = client.direct_view(&Targets::One(0)).unwrap();
    one.push("x", Value::Int(3)).unwrap().get().unwrap();
    let busy = one.apply("sleep", vec![Value::Float(2.0)]).unwrap();
    let t = Instant::now();
    let e = one
        .gather_timeout("x", Some(Duration::from_millis(300)))
        .unwrap_err();
    assert!(matches!(e, ClusterError::Timeout(_)), "{e}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    busy.get().unwrap();
    assert_eq!(one.gather("x").unwrap().to_string(), "[3]");
}
