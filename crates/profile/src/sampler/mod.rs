//! The sampler: a SIGPROF handler driven by a CPU-time interval timer
//! (`setitimer(ITIMER_PROF)`), which the kernel fires as the process — all
//! its threads — uses CPU time, delivering each signal to the thread that
//! was running. The handler unwinds that thread's stack from the
//! interrupted instruction (`backtrace`, the unwinder pprof-rs also uses)
//! and counts it by its exact addresses in a lock-free [`Table`], so that
//! lines and inlined functions can be told apart afterwards. (pprof-rs's
//! own collector keys a stack by the start addresses of its functions,
//! which keeps one instruction address per function and loses the lines.)

mod table;

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use table::{Table, DEPTH, NAME};

use crate::{ProfileError, Rate};

/// Objects whose code the sampler does not unwind from: the unwinder itself
/// (a signal landing in it would re-enter it) and the vDSO (whose unwind
/// tables some kernels get wrong). The few samples that land there are
/// counted as dropped; the time they stand for is spread over the others,
/// since times come from the measured CPU time.
const BLOCKLIST: &[&str] = &["libgcc_s", "vdso"];

/// The most address ranges the blocklist holds.
const MAX_BLOCKED: usize = 16;

/// Whether a sampler is started (one per process).
static STARTED: AtomicBool = AtomicBool::new(false);
/// Whether the handler records (cleared first when stopping).
static RUNNING: AtomicBool = AtomicBool::new(false);
/// Handlers running now, so that stopping waits for them.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// The table of the running sampler.
static TABLE: AtomicPtr<Table> = AtomicPtr::new(ptr::null_mut());
/// Samples dropped: in blocklisted code, or with the table full.
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// `[start, end)` ranges of blocklisted code, 0 where unused.
static BLOCKED: [(AtomicUsize, AtomicUsize); MAX_BLOCKED] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; MAX_BLOCKED];

/// A running sampler. It owns the table the handler writes into.
pub(crate) struct Sampler {
    table: *mut Table,
    previous: libc::sigaction,
    cpu_start: Duration,
    wall_start: Instant,
    started_at: SystemTime,
    stopped: bool,
}

// SAFETY: the table pointer is owned by the sampler (the handler only
// borrows it while RUNNING, and `halt` waits for it); nothing in it is tied
// to the thread that started the sampler.
unsafe impl Send for Sampler {}

/// One distinct stack and how often it was sampled.
pub(crate) struct RawStack {
    /// Instruction addresses: the interrupted one first, then return
    /// addresses outwards.
    pub ips: Vec<usize>,
    /// `pthread_self` of the sampled thread.
    pub thread_id: u64,
    /// Its name (at most 15 bytes, as the kernel keeps it).
    pub thread_name: String,
    /// Samples of this stack.
    pub count: u64,
}

/// What a sampler collected.
pub(crate) struct RawSamples {
    /// The distinct stacks.
    pub stacks: Vec<RawStack>,
    /// Samples taken but not recorded (blocklisted code, a full table).
    pub dropped: u64,
    /// CPU time of the whole process (every thread) while sampling.
    pub cpu: Duration,
    /// Wall time while sampling.
    pub wall: Duration,
    /// When sampling started.
    pub started_at: SystemTime,
}

impl Sampler {
    /// Installs the handler and starts the timer.
    pub fn start(rate: Rate) -> Result<Sampler, ProfileError> {
        if STARTED
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(ProfileError::AlreadyRunning);
        }
        match Self::install(rate) {
            Ok(s) => Ok(s),
            Err(e) => {
                STARTED.store(false, Ordering::Release);
                Err(e)
            }
        }
    }

    fn install(rate: Rate) -> Result<Sampler, ProfileError> {
        // Load the unwinder's and the symbolizer's lazy state now, not in
        // the first signal handler.
        let _ = backtrace::Backtrace::new_unresolved();
        set_blocklist();
        let table =
            Box::into_raw(Box::new(Table::new().ok_or_else(|| {
                ProfileError::Sampler("no memory for the sample table".into())
            })?));
        TABLE.store(table, Ordering::Release);
        DROPPED.store(0, Ordering::Relaxed);
        let cpu_start = runtime::clock::process_cpu_time();
        let wall_start = Instant::now();
        let started_at = SystemTime::now();
        RUNNING.store(true, Ordering::SeqCst);
        let fail = |what: &str| {
            let e = std::io::Error::last_os_error();
            RUNNING.store(false, Ordering::SeqCst);
            wait_for_handlers();
            TABLE.store(ptr::null_mut(), Ordering::Release);
            // SAFETY: made by Box::into_raw above; no handler holds it now.
            drop(unsafe { Box::from_raw(table) });
            ProfileError::Sampler(format!("{what}: {e}"))
        };
        // SAFETY: a zeroed sigaction is a valid starting value; the handler
        // has the SA_SIGINFO signature and only does async-signal-safe work
        // (atomics, the unwinder, pthread_self, prctl).
        let previous = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = hpcrs_profile_on_sigprof as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGPROF, &action, &mut previous) != 0 {
                return Err(fail("installing the SIGPROF handler"));
            }
            previous
        };
        if set_timer(Some(rate)) != 0 {
            let e = fail("starting the CPU-time timer");
            // SAFETY: restores the disposition read above.
            unsafe { libc::sigaction(libc::SIGPROF, &previous, ptr::null_mut()) };
            return Err(e);
        }
        Ok(Sampler {
            table,
            previous,
            cpu_start,
            wall_start,
            started_at,
            stopped: false,
        })
    }

    /// Stops the timer, waits for handlers in progress, restores the signal
    /// disposition and returns the stacks.
    pub fn stop(mut self) -> RawSamples {
        self.halt();
        let cpu = runtime::clock::process_cpu_time().saturating_sub(self.cpu_start);
        let wall = self.wall_start.elapsed();
        // SAFETY: `halt` waited for every handler and unpublished the table:
        // this is its only user.
        let table = unsafe { &mut *self.table };
        let stacks = table
            .entries()
            .into_iter()
            .map(|e| RawStack {
                ips: e.ips,
                thread_id: e.thread,
                thread_name: thread_name(&e.name),
                count: e.count,
            })
            .collect();
        RawSamples {
            stacks,
            dropped: DROPPED.load(Ordering::Relaxed),
            cpu,
            wall,
            started_at: self.started_at,
        }
    }

    /// Stops sampling (once): no handler records after it returns.
    fn halt(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        RUNNING.store(false, Ordering::SeqCst);
        set_timer(None);
        wait_for_handlers();
        TABLE.store(ptr::null_mut(), Ordering::Release);
        // A SIGPROF still pending must not end the process, which is what
        // the default disposition does: ignore it instead.
        let mut restore = self.previous;
        if restore.sa_sigaction == libc::SIG_DFL {
            restore.sa_sigaction = libc::SIG_IGN;
        }
        // SAFETY: `restore` is the disposition sigaction gave back at start
        // (or SIG_IGN).
        unsafe { libc::sigaction(libc::SIGPROF, &restore, ptr::null_mut()) };
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.halt();
        // SAFETY: made by Box::into_raw in `install`; `halt` made sure no
        // handler uses it; freed once, here.
        drop(unsafe { Box::from_raw(self.table) });
        STARTED.store(false, Ordering::Release);
    }
}

/// Waits until no handler is between its start and its end.
fn wait_for_handlers() {
    while IN_FLIGHT.load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
}

/// Arms the CPU-time timer at `rate`, or disarms it.
fn set_timer(rate: Option<Rate>) -> i32 {
    let usec = rate.map_or(0, |r| (1_000_000 / i64::from(r.hz())).max(1));
    let interval = libc::timeval {
        tv_sec: (usec / 1_000_000) as libc::time_t,
        tv_usec: (usec % 1_000_000) as libc::suseconds_t,
    };
    let value = libc::itimerval {
        it_interval: interval,
        it_value: interval,
    };
    // SAFETY: `value` is a valid itimerval; the old value is not asked for.
    unsafe { libc::setitimer(libc::ITIMER_PROF, &value, ptr::null_mut()) }
}

/// Records the code ranges of the [`BLOCKLIST`] objects.
fn set_blocklist() {
    let mut n = 0;
    for o in crate::objects::loaded() {
        let file = std::path::Path::new(&o.name)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !BLOCKLIST.iter().any(|b| file.contains(b)) {
            continue;
        }
        for (start, end) in o.code {
            if n < MAX_BLOCKED {
                BLOCKED[n].0.store(start as usize, Ordering::Relaxed);
                BLOCKED[n].1.store(end as usize, Ordering::Relaxed);
                n += 1;
            }
        }
    }
    for slot in &BLOCKED[n..] {
        slot.0.store(0, Ordering::Relaxed);
        slot.1.store(0, Ordering::Relaxed);
    }
}

fn blocklisted(pc: usize) -> bool {
    BLOCKED.iter().any(|(s, e)| {
        let (s, e) = (s.load(Ordering::Relaxed), e.load(Ordering::Relaxed));
        s <= pc && pc < e
    })
}

/// The SIGPROF handler. It keeps errno as it found it, and records only
/// while [`RUNNING`], inside an [`IN_FLIGHT`] window that stopping waits for.
#[no_mangle]
extern "C" fn hpcrs_profile_on_sigprof(
    _signal: libc::c_int,
    _info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: errno is this thread's; reading and restoring it is what
    // every signal handler that makes calls must do.
    let errno = unsafe { *libc::__errno_location() };
    IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    if RUNNING.load(Ordering::SeqCst) {
        sample(context);
    }
    IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// The name of the handler's symbol, for the symbolizer to recognise its
/// frames when the interrupted instruction is not known.
pub(crate) const HANDLER_SYMBOL: &str = "hpcrs_profile_on_sigprof";

/// Records the interrupted thread's stack.
fn sample(context: *mut libc::c_void) {
    let table = TABLE.load(Ordering::Acquire);
    if table.is_null() {
        return;
    }
    let pc = interrupted_pc(context);
    if pc != 0 && blocklisted(pc) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut ips = [0usize; DEPTH];
    let mut n = 0;
    // Frames before the interrupted one are the handler's own: skipped.
    let mut reached = pc == 0;
    // SAFETY: the unwinder is not synchronised with other threads' use of
    // it, which a signal handler cannot wait for; it does not allocate.
    unsafe {
        backtrace::trace_unsynchronized(|frame| {
            let ip = frame.ip() as usize;
            if !reached {
                if ip != pc {
                    return true;
                }
                reached = true;
            }
            ips[n] = ip;
            n += 1;
            n < DEPTH
        });
    }
    if !reached {
        // The unwinder did not get through the signal frame: the
        // interrupted instruction alone still tells where the time went.
        ips[0] = pc;
        n = 1;
    }
    let mut name = [0u8; NAME];
    // SAFETY: PR_GET_NAME writes at most 16 bytes (with the NUL) into
    // `name`, which has 16; pthread_self cannot fail.
    let thread = unsafe {
        libc::prctl(libc::PR_GET_NAME, name.as_mut_ptr());
        libc::pthread_self() as u64
    };
    // SAFETY: the table stays alive until `halt` has seen IN_FLIGHT at 0,
    // and this handler is inside that window.
    if !unsafe { &*table }.insert(thread, &name, &ips[..n]) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether the handler knows the interrupted instruction on this platform,
/// and so records stacks from it, without the handler's own frames.
pub(crate) const PC_KNOWN: bool = cfg!(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
));

/// The instruction the signal interrupted, from the signal's context (0
/// where it is not known).
fn interrupted_pc(context: *mut libc::c_void) -> usize {
    if context.is_null() {
        return 0;
    }
    let context = context as *const libc::ucontext_t;
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    // SAFETY: the kernel passes a valid ucontext_t to an SA_SIGINFO handler.
    return unsafe { (*context).uc_mcontext.gregs[libc::REG_RIP as usize] as usize };
    #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
    // SAFETY: as above.
    return unsafe { (*context).uc_mcontext.pc as usize };
    #[allow(unreachable_code)]
    {
        let _ = context;
        0
    }
}

/// A thread name from the kernel's NUL-padded bytes.
fn thread_name(bytes: &[u8; NAME]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(NAME);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `pthread_self()` of the calling thread, the id the sampler records.
pub(crate) fn current_thread_id() -> u64 {
    // SAFETY: pthread_self has no preconditions and cannot fail.
    unsafe { libc::pthread_self() as u64 }
}
