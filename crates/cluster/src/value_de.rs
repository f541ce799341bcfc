//! Decoding a [`Value`] with its nesting bounded: a list or record inside
//! another one more than [`MAX_DEPTH`] deep is refused with an error, so a
//! hostile message of a million nested lists costs a few dozen stack
//! frames, not a stack overflow (decoding, printing and dropping a value
//! all recurse on its nesting). The encoding is the one `#[derive]` gives
//! the enum: a `u32` variant index, then the variant's contents.

use std::fmt;

use serde::de::{self, DeserializeSeed, EnumAccess, SeqAccess, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::value::{NdArray, Value, MAX_DEPTH};

/// `Value`'s variants, in declaration order (their wire indices).
const VARIANTS: &[&str] = &[
    "None", "Bool", "Int", "Float", "Str", "Ints", "Floats", "List", "Record",
];

/// Which variant a decoded value is.
#[derive(Deserialize)]
#[serde(variant_identifier)]
enum Kind {
    None,
    Bool,
    Int,
    Float,
    Str,
    Ints,
    Floats,
    List,
    Record,
}

/// The largest number of elements reserved up front for a list or record,
/// whatever length the message claims (the rest grows as elements arrive).
const MAX_RESERVE: usize = 1024;

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ValueSeed { depth: 0 }.deserialize(d)
    }
}

/// A value nested `depth` lists or records deep.
#[derive(Clone, Copy)]
struct ValueSeed {
    depth: usize,
}

impl ValueSeed {
    /// The seed for a value inside this one, or the error if that is too deep.
    fn inner<E: de::Error>(self) -> Result<ValueSeed, E> {
        if self.depth >= MAX_DEPTH {
            Err(E::custom(format!(
                "a value nested more than {MAX_DEPTH} lists or records deep (the limit)"
            )))
        } else {
            Ok(ValueSeed {
                depth: self.depth + 1,
            })
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_enum("Value", VARIANTS, self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (kind, v) = data.variant::<Kind>()?;
        match kind {
            Kind::None => v.unit_variant().map(|()| Value::None),
            Kind::Bool => v.newtype_variant().map(Value::Bool),
            Kind::Int => v.newtype_variant().map(Value::Int),
            Kind::Float => v.newtype_variant().map(Value::Float),
            Kind::Str => v.newtype_variant().map(Value::Str),
            Kind::Ints => v.newtype_variant::<NdArray<i64>>().map(Value::Ints),
            Kind::Floats => v.newtype_variant::<NdArray<f64>>().map(Value::Floats),
            Kind::List => v
                .newtype_variant_seed(ListSeed(self.inner()?))
                .map(Value::List),
            Kind::Record => v
                .newtype_variant_seed(RecordSeed(self.inner()?))
                .map(Value::Record),
        }
    }
}

/// A list whose elements are decoded with the seed.
struct ListSeed(ValueSeed);

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Value>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_RESERVE));
        while let Some(x) = seq.next_element_seed(self.0)? {
            out.push(x);
        }
        Ok(out)
    }
}

/// A record's `(name, value)` pairs, values decoded with the seed.
struct RecordSeed(ValueSeed);

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = Vec<(String, Value)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed {
    type Value = Vec<(String, Value)>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record of named values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_RESERVE));
        while let Some(x) = seq.next_element_seed(PairSeed(self.0))? {
            out.push(x);
        }
        Ok(out)
    }
}

/// One `(name, value)` pair of a record.
struct PairSeed(ValueSeed);

impl<'de> DeserializeSeed<'de> for PairSeed {
    type Value = (String, Value);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_tuple(2, self)
    }
}

impl<'de> Visitor<'de> for PairSeed {
    type Value = (String, Value);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name and a value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let name: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let value = seq
            .next_element_seed(self.0)?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Ok((name, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{self, Task};

    /// `depth` lists, one inside the other, around `None`, encoded by hand
    /// (a value that deep cannot be built and encoded without recursing).
    fn nested_lists(depth: usize) -> Vec<u8> {
        let mut b = Vec::with_capacity(12 * depth + 4);
        for _ in 0..depth {
            b.extend_from_slice(&7u32.to_le_bytes()); // List
            b.extend_from_slice(&1u64.to_le_bytes()); // of one element
        }
        b.extend_from_slice(&0u32.to_le_bytes()); // None
        b
    }

    /// `depth` records, each holding the next under the name `k`.
    fn nested_records(depth: usize) -> Vec<u8> {
        let mut b = Vec::new();
        for _ in 0..depth {
            b.extend_from_slice(&8u32.to_le_bytes()); // Record
            b.extend_from_slice(&1u64.to_le_bytes()); // of one pair
            b.extend_from_slice(&1u64.to_le_bytes()); // name of one byte
            b.push(b'k');
        }
        b.extend_from_slice(&2u32.to_le_bytes()); // Int
        b.extend_from_slice(&5i64.to_le_bytes());
        b
    }

    fn built(depth: usize, record: bool) -> Value {
        let mut v = if record { Value::Int(5) } else { Value::None };
        for _ in 0..depth {
            v = if record {
                Value::Record(vec![("k".into(), v)])
            } else {
                Value::List(vec![v])
            };
        }
        v
    }

    #[test]
    fn the_hand_encoding_is_the_derived_one() {
        for d in [0, 1, 3, MAX_DEPTH] {
            assert_eq!(wire::encode(&built(d, false)), nested_lists(d));
            assert_eq!(wire::encode(&built(d, true)), nested_records(d));
        }
    }

    #[test]
    fn values_up_to_the_limit_round_trip() {
        for record in [false, true] {
            let v = built(MAX_DEPTH, record);
            assert_eq!(wire::decode::<Value>(&wire::encode(&v), "p").unwrap(), v);
        }
        let mixed = Value::List(vec![
            Value::Int(1),
            Value::Record(vec![
                ("a".into(), Value::floats(vec![0.5, 2.0])),
                ("b".into(), Value::List(vec![Value::Str("x".into())])),
            ]),
            Value::Bool(true),
            Value::Float(-0.0),
            Value::arange(3),
        ]);
        assert_eq!(
            wire::decode::<Value>(&wire::encode(&mixed), "p").unwrap(),
            mixed
        );
    }

    #[test]
    fn one_level_past_the_limit_is_refused_by_name() {
        for bytes in [nested_lists(MAX_DEPTH + 1), nested_records(MAX_DEPTH + 1)] {
            let e = wire::decode::<Value>(&bytes, "client 3")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("client 3: "), "{e}");
            assert!(e.contains(&format!("more than {MAX_DEPTH}")), "{e}");
        }
    }

    /// A push of a million nested lists (12 MB) is refused without
    /// recursing a million times, which would overflow any thread's stack.
    #[test]
    fn a_million_nested_lists_in_a_task_are_refused() {
        let mut task = wire::encode(&Task::Push {
            values: vec![("x".into(), Value::None)],
        });
        // The encoded `None` is the last four bytes: put the lists there.
        task.truncate(task.len() - 4);
        task.extend_from_slice(&nested_lists(1_000_000));
        let e = wire::decode_task(&task, "client 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("more than {MAX_DEPTH}")), "{e}");
        let mut outcome = wire::encode(&Ok::<Value, String>(Value::None));
        outcome.truncate(outcome.len() - 4);
        outcome.extend_from_slice(&nested_records(1_000_000));
        let e = wire::decode_outcome(&outcome, "engine 0")
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("more than {MAX_DEPTH}")), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Any nesting decodes exactly when within the limit, on a small
        /// thread stack, and a too-deep one names the limit.
        #[test]
        fn nesting_is_decoded_iff_within_the_limit(
            depth in proptest::prop_oneof![0usize..=2 * MAX_DEPTH, 0usize..200_000],
            record in proptest::bool::ANY,
        ) {
            let bytes = if record { nested_records(depth) } else { nested_lists(depth) };
            let r = std::thread::Builder::new()
                .stack_size(1 << 20)
                .spawn(move || wire::decode::<Value>(&bytes, "p").map_err(|e| e.to_string()))
                .unwrap()
                .join()
                .unwrap();
            if depth <= MAX_DEPTH {
                proptest::prop_assert_eq!(r.unwrap(), built(depth, record));
            } else {
                let e = r.unwrap_err();
                proptest::prop_assert!(e.contains(&format!("more than {MAX_DEPTH}")), "{}", e);
            }
        }
    }
}
