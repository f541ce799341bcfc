//! Files written with a seed never change: their bytes are pinned by checksum, for every
//! dtype and both orders, over several chunks (so that the vectorised fill loop and its
//! remainder are both covered), and for a constant fill; at every SIMD level, since the
//! fill loop is compiled once per level.

use ooc::{create, Control, CreateOptions, DType, Fill, Threads};
use runtime::Simd;

/// FNV-1a, 64 bits: enough to notice any changed byte.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The checksum of the file `create` writes with these options.
fn checksum(dir: &std::path::Path, shape: &[usize], opts: &CreateOptions, ctl: &Control) -> u64 {
    let p = dir.join("pinned.npy");
    create(&p, shape, opts, ctl).unwrap();
    fnv1a(&std::fs::read(&p).unwrap())
}

#[test]
fn seeded_files_are_byte_identical_to_the_pinned_ones() {
    let pinned: [(DType, [u64; 2]); 6] = [
        (DType::F64, [0xb5bf70d5d73d95e6, 0x21dba36e197b10ad]),
        (DType::F32, [0x883ad78e305e6ac3, 0x195142b2dc0a6928]),
        (DType::I64, [0xa15013657cb5cfb4, 0x7ed0134716953963]),
        (DType::I32, [0xb14c729652940c8b, 0xff7bcaf5aca63a88]),
        (DType::U8, [0x15022d963a95acfa, 0x3f23fc5dd8ab74ff]),
        (DType::Bool, [0x36119dc84739a8b8, 0x1eecabcf85d91bad]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let ctl = Control {
        memory_limit: 64 << 10,
        threads: Threads::Exactly(2),
        ..Control::default()
    };
    // The only test of this binary: the process-wide cap cannot disturb another.
    for level in [Simd::Base, Simd::Avx2, Simd::Avx512] {
        runtime::simd::limit(level);
        for (dtype, sums) in pinned {
            for (fortran, sum) in [false, true].into_iter().zip(sums) {
                let opts = CreateOptions {
                    dtype,
                    fortran_order: fortran,
                    fill: Fill::Random { seed: 2024 },
                    sync: false,
                };
                let got = checksum(dir.path(), &[1001, 37], &opts, &ctl);
                assert_eq!(got, sum, "{level:?} {dtype} fortran={fortran}: {got:#018x}");
            }
        }
    }
    let opts = CreateOptions {
        dtype: DType::F32,
        fill: Fill::Value((-2.5).into()),
        sync: false,
        ..Default::default()
    };
    assert_eq!(
        checksum(dir.path(), &[333, 3], &opts, &ctl),
        0x210505631563e68f
    );
}
