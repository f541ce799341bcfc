//! Heartbeats, with a controller that pings every 100 ms and declares a
//! peer dead after 1 s of silence: an engine that stops answering is
//! removed and its tasks failed or retried, an engine whose controller
//! falls silent gives it up during a long task, and a long task on a live
//! engine outlives many heartbeats.

use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cluster::conn;
use cluster::engine::{self, EngineOptions, Stopped};
use cluster::frame::Limits;
use cluster::wire::{self, EngineInfo, Envelope, Heartbeat, Hello, Task};
use cluster::{
    Client, ClientOptions, ConnectionInfo, Controller, ControllerOptions, Key, Targets, Value,
};

const QUICK: Heartbeat = Heartbeat {
    period: Duration::from_millis(100),
    timeout: Duration::from_millis(1000),
};

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

/// A controller with the quick heartbeat; its connection and log.
fn controller() -> (ConnectionInfo, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut opts = ControllerOptions::new(Key::generate().unwrap());
    opts.heartbeat = QUICK;
    let sink = log.clone();
    opts.log = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string()));
    let c = Controller::bind(opts).unwrap();
    let info = c.info().clone();
    std::thread::spawn(move || c.serve());
    (info, log)
}

fn add_engine(info: &ConnectionInfo) -> u64 {
    let (tx, rx) = mpsc::channel();
    let opts = engine_options(info);
    std::thread::spawn(move || engine::run(&opts, |id| tx.send(id).unwrap()));
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

/// An engine that registers, reads what it is sent, and never answers.
fn silent_engine(info: &ConnectionInfo) -> u64 {
    let stream = conn::connect(&info.endpoint(), Duration::from_secs(5)).unwrap();
    let (mut reader, sender) =
        conn::split(stream, &info.key, Limits::default(), "controller").unwrap();
    let hello = EngineInfo {
        pid: 4242,
        host: "mute".into(),
        mpi: None,
        data: None,
        local: None,
    };
    sender
        .send(&Envelope::Hello(Hello::Engine(hello)), &[], None)
        .unwrap();
    let Some((
        Envelope::Welcome {
            engine: Some(id),
            heartbeat,
        },
        _,
    )) = conn::read_envelope(&mut reader, Some(Duration::from_secs(5))).unwrap()
    else {
        panic!("not welcomed")
    };
    assert_eq!(heartbeat, Some(QUICK));
    let _ = reader.get_ref().set_read_timeout(None);
    std::thread::spawn(move || {
        let _keep = sender;
        while let Ok(Some(_)) = reader.read() {}
    });
    id
}

fn shutdown(info: &ConnectionInfo) {
    if let Ok(c) = Client::connect(info, &ClientOptions::default()) {
        let _ = c.shutdown();
    }
}

#[test]
fn a_silent_engine_is_declared_dead_and_its_tasks_move() {
    let (info, log) = controller();
    let mute = silent_engine(&info);
    let rc = Client::connect(&info, &ClientOptions::default()).unwrap();
    let t = Instant::now();
    let direct = rc
        .direct_view(&Targets::One(mute as i64))
        .unwrap()
        .apply("minus", vec![Value::Int(1), Value::Int(2)])
        .unwrap();
    let balanced = rc
        .load_balanced_view()
        .apply("minus", vec![Value::Int(5), Value::Int(6)])
        .unwrap();
    // The balanced task waits behind the direct one, or is taken by the
    // live engine; either way it ends there.
    let live = add_engine(&info);
    let mut balanced = balanced;
    assert!(balanced.wait(Some(Duration::from_secs(10))));
    assert_eq!(balanced.metadata()[0].as_ref().unwrap().engine, live);
    assert_eq!(balanced.get().unwrap(), Value::Int(-1));
    let e = direct.get().unwrap_err().to_string();
    let waited = t.elapsed();
    assert!(
        e.contains(&format!("engine {mute} (pid 4242 on mute) died")) && e.contains("heartbeat"),
        "{e}"
    );
    assert!(
        waited >= QUICK.timeout && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert_eq!(rc.ids().unwrap(), vec![live]);
    let log = log.lock().unwrap().join("\n");
    assert!(
        log.contains(&format!(
            "engine {mute} (pid 4242 on mute) missed its heartbeats"
        )),
        "{log}"
    );
    shutdown(&info);
}

#[test]
fn a_long_task_outlives_many_heartbeats() {
    let (info, log) = controller();
    let id = add_engine(&info);
    let rc = Client::connect(&info, &ClientOptions::default()).unwrap();
    let one = rc.direct_view(&Targets::One(id as i64)).unwrap();
    let t = Instant::now();
    let r = one.apply("sleep", vec![Value::Float(1.5)]).unwrap().get();
    assert!(r.is_ok(), "{r:?}");
    assert!(t.elapsed() >= Duration::from_millis(1500));
    assert_eq!(
        one.apply("getpid", vec![]).unwrap().get().unwrap(),
        Value::Int(std::process::id().into())
    );
    assert_eq!(rc.ids().unwrap(), vec![id]);
    let log = log.lock().unwrap().join("\n");
    assert!(!log.contains("declared dead"), "{log}");
    shutdown(&info);
}

/// When the test's silent controller was given up by its engine.
static LOST: Mutex<Option<(Instant, String)>> = Mutex::new(None);

fn lost(why: &str) {
    *LOST.lock().unwrap() = Some((Instant::now(), why.to_string()));
}

#[test]
fn an_engine_gives_up_a_silent_controller_during_a_long_task() {
    // A controller played by the test: it welcomes the engine, gives it a
    // four-second task, and falls silent with the connection open.
    let key = Key::generate().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let info = ConnectionInfo {
        address: "127.0.0.1".into(),
        port: listener.local_addr().unwrap().port(),
        key: key.clone(),
    };
    let mut opts = engine_options(&info);
    opts.on_controller_lost = Some(lost);
    let engine = std::thread::spawn(move || engine::run(&opts, |_| {}));
    let (stream, _) = listener.accept().unwrap();
    let (mut reader, sender) = conn::split(stream, &key, Limits::default(), "engine").unwrap();
    let Some((Envelope::Hello(Hello::Engine(_)), _)) =
        conn::read_envelope(&mut reader, Some(Duration::from_secs(5))).unwrap()
    else {
        panic!("no hello")
    };
    let welcome = Envelope::Welcome {
        engine: Some(0),
        heartbeat: Some(QUICK),
    };
    sender.send(&welcome, &[], None).unwrap();
    let task = wire::encode(&Task::Apply {
        func: "sleep".into(),
        args: vec![Value::Float(4.0)],
    });
    sender
        .send(&Envelope::Run { task: 0 }, &task, None)
        .unwrap();
    let sent = Instant::now();
    let noticed = loop {
        if let Some(l) = LOST.lock().unwrap().clone() {
            break l;
        }
        assert!(sent.elapsed() < Duration::from_secs(8), "never noticed");
        std::thread::sleep(Duration::from_millis(10));
    };
    let after = noticed.0.duration_since(sent);
    assert!(
        after >= QUICK.timeout && after < Duration::from_millis(3500),
        "noticed after {after:?}, during the task"
    );
    assert!(noticed.1.contains("heartbeat timeout"), "{}", noticed.1);
    // Without a hook that ends the process, `run` returns once the task ends.
    let stopped = engine.join().unwrap().unwrap();
    assert!(sent.elapsed() >= Duration::from_secs(4));
    assert!(
        matches!(&stopped, Stopped::ControllerGone(why) if why.contains("heartbeat timeout")),
        "{stopped:?}"
    );
    drop((reader, sender));
}

#[test]
fn an_engine_leaves_a_closed_controller_between_tasks_at_once() {
    let key = Key::generate().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let info = ConnectionInfo {
        address: "127.0.0.1".into(),
        port: listener.local_addr().unwrap().port(),
        key: key.clone(),
    };
    let opts = engine_options(&info);
    let engine = std::thread::spawn(move || engine::run(&opts, |_| {}));
    let (stream, _) = listener.accept().unwrap();
    let (mut reader, sender) = conn::split(stream, &key, Limits::default(), "engine").unwrap();
    conn::read_envelope(&mut reader, Some(Duration::from_secs(5)))
        .unwrap()
        .unwrap();
    let welcome = Envelope::Welcome {
        engine: Some(0),
        heartbeat: Some(Heartbeat {
            period: Duration::from_secs(3),
            timeout: Duration::from_secs(30),
        }),
    };
    sender.send(&welcome, &[], None).unwrap();
    let t = Instant::now();
    sender.close();
    let stopped = engine.join().unwrap().unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(matches!(stopped, Stopped::ControllerGone(_)), "{stopped:?}");
}
