//! The README's library example: the three most frequent words of Moby Dick
//! (no stop-word list), with the lineage. Run from the repository root:
//! `cargo run --release -p hpcrs-dataset --example top_words`.

use dataset::Context;

fn main() -> Result<(), dataset::DatasetError> {
    let sc = Context::local(0)?; // all cores; Context::builder() sets memory budget, retries, spill dir
    let lines = sc.text_file("data/mobydick.txt", 4); // lazy: nothing is read yet
    let counts = lines
        .flat_map(|l| l.split(' ').map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
        .cache();
    let top = counts.take_ordered(3, |(w, c)| (std::cmp::Reverse(*c), w.clone()))?;
    println!("{top:?} of {} distinct words", counts.count()?);
    print!("{}", counts.debug_string());
    Ok(())
}
