//! The functions engines run by name. Rust cannot ship closures, so a task
//! names one of these and gives its arguments as [`Value`]s: the course's
//! examples (`minus`, `sum`, `getpid`, `hostname`) and the hpcrs workloads
//! (`diff2d`, `auc`, `wordcount`, `stats`).

use std::sync::Arc;
use std::time::Duration;

use crate::value::Value;

/// The message passing an engine offers its tasks when its engines were
/// started together as the ranks of one job (`mpirun ... engines --mpi`):
/// what tasks that run on every engine at once (a direct view on all) can
/// call collectively. Every `comm::Communicator` is one.
pub trait EngineComm {
    /// This engine's rank.
    fn rank(&self) -> usize;
    /// How many ranks.
    fn size(&self) -> usize;
    /// The sum of `x` over every rank, on every rank.
    fn allreduce_sum(&self, x: f64) -> Result<f64, String>;
    /// Waits until every rank is here.
    fn barrier(&self) -> Result<(), String>;
}

impl<C: comm::Communicator> EngineComm for C {
    fn rank(&self) -> usize {
        comm::Communicator::rank(self)
    }
    fn size(&self) -> usize {
        comm::Communicator::size(self)
    }
    fn allreduce_sum(&self, x: f64) -> Result<f64, String> {
        comm::Collectives::allreduce(self, &x, comm::Op::Sum).map_err(|e| e.to_string())
    }
    fn barrier(&self) -> Result<(), String> {
        comm::Collectives::barrier(self).map_err(|e| e.to_string())
    }
}

/// What a function knows about the engine it runs on.
#[derive(Clone)]
pub struct EngineContext<'c> {
    /// The engine's process id.
    pub pid: u32,
    /// Its host's name (given by the program that started it).
    pub host: String,
    /// Its MPI rank and world size, if started by `mpirun`.
    pub mpi: Option<(u32, u32)>,
    /// The communicator between the engines of one MPI job, if any.
    pub comm: Option<&'c dyn EngineComm>,
}

impl std::fmt::Debug for EngineContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineContext")
            .field("pid", &self.pid)
            .field("host", &self.host)
            .field("mpi", &self.mpi)
            .field("comm", &self.comm.map(|c| (c.rank(), c.size())))
            .finish()
    }
}

/// A registered function: arguments in, a value or an error message out.
pub type Function = fn(&[Value], &EngineContext<'_>) -> Result<Value, String>;

/// Every function engines know, with a one-line description each.
pub const FUNCTIONS: &[(&str, Function, &str)] = &[
    ("minus", minus, "minus(a, b): a - b"),
    ("sum", sum, "sum(xs) or sum(a, b, ...): the total"),
    ("getpid", getpid, "getpid(): the engine's process id"),
    ("hostname", hostname, "hostname(): the engine's host name"),
    (
        "rank",
        rank,
        "rank(): the engine's MPI rank (None outside mpirun)",
    ),
    (
        "allreduce",
        allreduce,
        "allreduce(x): the sum of x over the engines of an MPI job (call on all at once)",
    ),
    (
        "barrier",
        barrier,
        "barrier(): waits for every engine of an MPI job",
    ),
    ("echo", echo, "echo(x): x itself"),
    ("len", len, "len(x): the number of elements"),
    ("sleep", sleep, "sleep(seconds): waits, returns the seconds"),
    (
        "diff2d",
        diff2d,
        "diff2d('D=0.5', ...): a diffusion run with these parameters; its summary",
    ),
    (
        "auc",
        auc,
        "auc(ntot): the area under the course's curve with ntot points",
    ),
    (
        "wordcount",
        wordcount,
        "wordcount(path, top=5, stopwords=None): the most frequent words of a text file",
    ),
    (
        "stats",
        stats,
        "stats(path): count, mean, std, min, max of a .npy file",
    ),
];

/// The function called `name`.
pub fn lookup(name: &str) -> Option<Function> {
    FUNCTIONS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, f, _)| *f)
}

fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!(
            "{name}() takes {want} arguments ({} given)",
            args.len()
        ));
    }
    Ok(())
}

fn number(name: &str, v: &Value) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("{name}(): expected a number, got a {} ({v})", v.kind()))
}

fn string<'a>(name: &str, v: &'a Value) -> Result<&'a str, String> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(format!(
            "{name}(): expected a string, got a {}",
            other.kind()
        )),
    }
}

fn minus(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    arity("minus", args, 2, 2)?;
    match (&args[0], &args[1]) {
        (Value::Int(a), Value::Int(b)) => a
            .checked_sub(*b)
            .map(Value::Int)
            .ok_or_else(|| format!("minus({a}, {b}) overflows a 64-bit integer")),
        (a, b) => Ok(Value::Float(number("minus", a)? - number("minus", b)?)),
    }
}

fn sum(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    let items: Vec<Value> = match args {
        [Value::Ints(a)] => {
            return a
                .data
                .iter()
                .try_fold(0i64, |s, &x| s.checked_add(x))
                .map(Value::Int)
                .ok_or_else(|| "sum() overflows a 64-bit integer".into())
        }
        [Value::Floats(a)] => return Ok(Value::Float(a.data.iter().sum())),
        [Value::List(v)] => v.clone(),
        _ => args.to_vec(),
    };
    if items.iter().all(|v| v.as_i64().is_some()) {
        items
            .iter()
            .try_fold(0i64, |s, v| s.checked_add(v.as_i64().unwrap_or(0)))
            .map(Value::Int)
            .ok_or_else(|| "sum() overflows a 64-bit integer".into())
    } else {
        let mut s = 0.0;
        for v in &items {
            s += number("sum", v)?;
        }
        Ok(Value::Float(s))
    }
}

fn getpid(args: &[Value], cx: &EngineContext) -> Result<Value, String> {
    arity("getpid", args, 0, 0)?;
    Ok(Value::Int(i64::from(cx.pid)))
}

fn hostname(args: &[Value], cx: &EngineContext) -> Result<Value, String> {
    arity("hostname", args, 0, 0)?;
    Ok(Value::Str(cx.host.clone()))
}

fn rank(args: &[Value], cx: &EngineContext) -> Result<Value, String> {
    arity("rank", args, 0, 0)?;
    if let Some(c) = cx.comm {
        return Ok(Value::Int(c.rank() as i64));
    }
    Ok(cx
        .mpi
        .map_or(Value::None, |(r, _)| Value::Int(i64::from(r))))
}

fn communicator<'c>(name: &str, cx: &EngineContext<'c>) -> Result<&'c dyn EngineComm, String> {
    cx.comm.ok_or_else(|| {
        format!("{name}(): this engine has no communicator (start the engines with `mpirun -np N hpcrs cluster engines --mpi`)")
    })
}

fn allreduce(args: &[Value], cx: &EngineContext) -> Result<Value, String> {
    arity("allreduce", args, 1, 1)?;
    let x = number("allreduce", &args[0])?;
    communicator("allreduce", cx)?
        .allreduce_sum(x)
        .map(Value::Float)
}

fn barrier(args: &[Value], cx: &EngineContext) -> Result<Value, String> {
    arity("barrier", args, 0, 0)?;
    communicator("barrier", cx)?.barrier().map(|()| Value::None)
}

fn echo(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    arity("echo", args, 1, 1)?;
    Ok(args[0].clone())
}

fn len(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    arity("len", args, 1, 1)?;
    let n = match &args[0] {
        Value::Ints(a) => a.shape.first().copied().unwrap_or(1),
        Value::Floats(a) => a.shape.first().copied().unwrap_or(1),
        Value::List(v) => v.len(),
        Value::Str(s) => s.chars().count(),
        Value::Record(v) => v.len(),
        other => return Err(format!("len(): a {} has no length", other.kind())),
    };
    Ok(Value::Int(n as i64))
}

/// Longest `sleep` (a day): longer is certainly a mistake.
const MAX_SLEEP: f64 = 86_400.0;

fn sleep(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    arity("sleep", args, 1, 1)?;
    let s = number("sleep", &args[0])?;
    if !(0.0..=MAX_SLEEP).contains(&s) {
        return Err(format!("sleep({s}): give 0 to {MAX_SLEEP} seconds"));
    }
    std::thread::sleep(Duration::from_secs_f64(s));
    Ok(Value::Float(s))
}

fn diff2d(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    let mut b = diffusion::ParamsBuilder::new();
    for a in args {
        let s = string("diff2d", a)?;
        b.set(s).map_err(|e| format!("diff2d(): {e}"))?;
    }
    let p = b.build().map_err(|e| format!("diff2d(): {e}"))?;
    let (dens, summary) = diffusion::solve(&p, diffusion::Backend::Threads, Some(1))
        .map_err(|e| format!("diff2d(): {e}"))?;
    let max = dens.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = dens.iter().sum();
    Ok(Value::Record(vec![
        ("D".into(), Value::Float(p.d)),
        ("grid".into(), Value::Int(summary.nrows as i64)),
        ("steps".into(), Value::Int(summary.steps as i64)),
        ("seconds".into(), Value::Float(summary.seconds)),
        ("max".into(), Value::Float(max)),
        ("total".into(), Value::Float(total)),
    ]))
}

fn auc(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    arity("auc", args, 1, 1)?;
    let ntot = args[0]
        .as_i64()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| format!("auc(): ntot must be a positive integer, not {}", args[0]))?;
    let mut job = workloads::auc::AucJob::new(ntot).map_err(|e| format!("auc(): {e}"))?;
    job.threads = runtime::pool::Threads::Exactly(1);
    let area = workloads::auc::area(workloads::Backend::Threads, &job)
        .map_err(|e| format!("auc(): {e}"))?;
    Ok(area.map_or(Value::None, Value::Float))
}

/// The largest `top` a word count returns.
const MAX_TOP: i64 = 1_000_000;

fn wordcount(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    arity("wordcount", args, 1, 3)?;
    let path = string("wordcount", &args[0])?;
    let top = match args.get(1) {
        None => 5,
        Some(v) => v
            .as_i64()
            .filter(|n| (1..=MAX_TOP).contains(n))
            .ok_or_else(|| format!("wordcount(): top must be 1 to {MAX_TOP}, not {v}"))?,
    };
    let stop = match args.get(2) {
        None | Some(Value::None) => Default::default(),
        Some(v) => {
            let p = string("wordcount", v)?;
            workloads::wordcount::read_stopwords(p)
                .map_err(|e| format!("wordcount(): stop words {p}: {e}"))?
        }
    };
    if let Err(e) = std::fs::metadata(path) {
        return Err(format!("wordcount(): {path}: {e}"));
    }
    let ctx = dataset::Context::builder()
        .threads(1)
        .build()
        .map_err(|e| format!("wordcount(): {e}"))?;
    let lines = ctx.text_file_blocks(path, 2, 256 << 10);
    let counts = workloads::wordcount::fast_pipeline(&lines, Arc::new(stop));
    let top = workloads::wordcount::top_words(&counts, top as usize)
        .map_err(|e| format!("wordcount(): {path}: {e}"))?;
    Ok(Value::List(
        top.into_iter()
            .map(|(w, c)| Value::List(vec![Value::Str(w), Value::Int(c as i64)]))
            .collect(),
    ))
}

fn stats(args: &[Value], _: &EngineContext) -> Result<Value, String> {
    arity("stats", args, 1, 1)?;
    let path = string("stats", &args[0])?;
    let file = ooc::NpyFile::open(path).map_err(|e| format!("stats(): {e}"))?;
    let s = ooc::reduce::stats(&file, &ooc::Control::default())
        .map_err(|e| format!("stats(): {e}"))?
        .stats;
    Ok(Value::Record(vec![
        ("count".into(), Value::Int(s.count() as i64)),
        ("mean".into(), Value::Float(s.mean())),
        ("std".into(), Value::Float(s.stdev())),
        ("min".into(), Value::Float(s.min())),
        ("max".into(), Value::Float(s.max())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> EngineContext<'static> {
        EngineContext {
            pid: 42,
            host: "node".into(),
            mpi: None,
            comm: None,
        }
    }

    fn call(name: &str, args: &[Value]) -> Result<Value, String> {
        lookup(name).expect(name)(args, &cx())
    }

    #[test]
    fn the_course_functions() {
        assert_eq!(
            call("minus", &[Value::Int(5), Value::Int(6)]),
            Ok(Value::Int(-1))
        );
        assert_eq!(
            call("minus", &[Value::Float(5.5), Value::Int(6)]),
            Ok(Value::Float(-0.5))
        );
        assert!(call("minus", &[Value::Int(i64::MIN), Value::Int(1)]).is_err());
        assert!(call("minus", &[Value::Int(1)])
            .unwrap_err()
            .contains("takes 2"));
        assert_eq!(call("sum", &[Value::arange(16)]), Ok(Value::Int(120)));
        assert_eq!(
            call("sum", &[Value::Int(1), Value::Float(0.5)]),
            Ok(Value::Float(1.5))
        );
        assert_eq!(call("getpid", &[]), Ok(Value::Int(42)));
        assert_eq!(call("hostname", &[]), Ok(Value::Str("node".into())));
        assert!(lookup("nope").is_none());
        assert!(call("allreduce", &[Value::Int(1)])
            .unwrap_err()
            .contains("no communicator"));
    }

    #[test]
    fn the_workloads() {
        let a = call("auc", &[Value::Int(1000)]).unwrap().as_f64().unwrap();
        assert!(
            (a - workloads::auc::riemann_closed_form(1000)).abs() < 1e-9,
            "{a}"
        );
        let r = call(
            "diff2d",
            &[
                Value::Str("D=2".into()),
                Value::Str("runtime=1".into()),
                Value::Str("dx=1".into()),
            ],
        )
        .unwrap();
        let Value::Record(r) = r else { panic!("{r:?}") };
        assert_eq!(r[0], ("D".to_string(), Value::Float(2.0)));
        assert!(call("diff2d", &[Value::Str("Q=1".into())]).is_err());
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("t.txt");
        std::fs::write(&text, "the cat the dog\nthe end\n").unwrap();
        let w = call(
            "wordcount",
            &[Value::Str(text.display().to_string()), Value::Int(1)],
        )
        .unwrap();
        assert_eq!(w.to_string(), "[['the', 3]]");
        assert!(call("wordcount", &[Value::Str("/no/such/file".into())])
            .unwrap_err()
            .contains("/no/such/file"));
    }
}
