//! `auc` against the closed form of the course's Riemann sum, backend
//! agreement, MPI-style partial sums and bad inputs.

use runtime::pool::{Threads, MAX_THREADS};
use workloads::auc::{self, AucError, AucJob};
use workloads::{Backend, Flavour};

const SIZES: [u64; 11] = [
    1, 2, 3, 16, 17, 4095, 4096, 4097, 262_145, 1_000_003, 10_000_000,
];

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn every_backend_matches_the_closed_form() {
    // `processes` starts copies of a program that registers its functions:
    // tests/cli/mp.rs runs it through hpcrs.
    for backend in auc::available()
        .into_iter()
        .filter(|&b| b != Backend::Processes)
    {
        for n in SIZES {
            let got = auc::area(backend, &AucJob::new(n).unwrap())
                .unwrap()
                .unwrap();
            let want = auc::riemann_closed_form(n);
            assert!(rel(got, want) < 1e-12, "{backend} n={n}: {got} vs {want}");
        }
    }
}

#[test]
fn processes_without_a_program_to_start_is_an_error() {
    let err = auc::area(Backend::Processes, &AucJob::new(10).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "processes backend: needs the program to start workers of (AucJob::processes)"
    );
}

#[test]
fn the_sum_converges_to_the_integral_like_one_over_n() {
    // S(N) = 8.175 - 1.35/N + O(1/N^2).
    for n in [1_000u64, 100_000, 10_000_000] {
        let s = auc::riemann_closed_form(n);
        let lead = (auc::EXACT - s) * n as f64;
        assert!((lead - 1.35).abs() < 20.0 / n as f64, "n={n}: {lead}");
    }
}

#[test]
fn naive_and_threads_agree_and_thread_count_does_not_matter() {
    let n = 3_000_017;
    let mut job = AucJob::new(n).unwrap();
    let naive = auc::area(Backend::Naive, &job).unwrap().unwrap();
    let all = auc::area(Backend::Threads, &job).unwrap().unwrap();
    job.threads = Threads::Exactly(3);
    let three = auc::area(Backend::Threads, &job).unwrap().unwrap();
    assert!(rel(naive, all) < 1e-13);
    // The pairwise tree depends only on NTOT: bit-for-bit the same.
    assert_eq!(all.to_bits(), three.to_bits());
}

#[test]
fn partial_sums_over_ranks_add_up_to_the_whole() {
    let n = 1_234_567;
    let whole = auc::auc_partial(n, 0..n).unwrap();
    for size in [1usize, 2, 3, 4, 7] {
        let sum: f64 = (0..size)
            .map(|r| auc::auc_partial(n, auc::rank_range(n, r, size)).unwrap())
            .sum();
        assert!(rel(sum, whole) < 1e-14, "size {size}");
    }
    assert!(rel(whole, auc::riemann_closed_form(n)) < 1e-12);
}

#[test]
fn ntot_out_of_range_gets_clear_errors() {
    assert!(auc::check_ntot(300_000_000).is_ok());
    assert_eq!(
        auc::check_ntot(0).unwrap_err().to_string(),
        "NTOT must be at least 1 (the number of sample points), got 0"
    );
    assert!(auc::check_ntot(9007199254740993)
        .unwrap_err()
        .to_string()
        .contains("too large"));
}

#[test]
fn bad_jobs_get_clear_errors() {
    assert!(matches!(AucJob::new(0), Err(AucError::Zero)));
    let mut job = AucJob::new(100).unwrap();
    job.threads = Threads::Exactly(MAX_THREADS + 1);
    assert_eq!(
        auc::area(Backend::Threads, &job).unwrap_err().to_string(),
        format!(
            "{} threads is more than the {MAX_THREADS} allowed",
            MAX_THREADS + 1
        )
    );
    job.threads = Threads::Exactly(2);
    assert!(auc::area(Backend::Naive, &job)
        .unwrap_err()
        .to_string()
        .starts_with("cannot run on 2 threads: the naive backend is the one-core scalar loop"));
    job.threads = Threads::AllCores;
    job.flavour = Some(Flavour::Object);
    assert_eq!(
        auc::area(Backend::Naive, &job).unwrap_err().to_string(),
        "--flavour object only applies to --backend mpi, not naive"
    );
    let err = auc::area(Backend::Array, &AucJob::new(10).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("auc has no `array` backend in this build (available: naive,"),
        "{err}"
    );
    assert_eq!(
        auc::auc_partial(10, 5..11).unwrap_err().to_string(),
        "range 5..11 is not within 0..10"
    );
}
