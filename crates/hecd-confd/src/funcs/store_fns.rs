//! The store functions (`exists ls lsdir get gets getv getvs`) over a shared [`KvStore`].

use std::sync::Arc;

use hecd_template::{FuncMap, Function, Signature, Type, Value};

use super::{fail, text, ConfdTypes};
use crate::memkv::KvStore;

/// The seven store functions bound to `store`.
pub(super) fn store_map(store: Arc<KvStore>, types: &ConfdTypes) -> FuncMap {
    let mut map = FuncMap::new();

    let s = store.clone();
    map.insert(
        "exists",
        Function::new(Signature::new([Type::string()]), move |a| {
            Ok(Value::bool(s.exists(&text(&a[0]))))
        }),
    );

    let (s, t) = (store.clone(), types.clone());
    map.insert(
        "ls",
        Function::new(Signature::new([Type::string()]), move |a| {
            Ok(t.string_list(s.list(&text(&a[0]))))
        }),
    );

    let (s, t) = (store.clone(), types.clone());
    map.insert(
        "lsdir",
        Function::new(Signature::new([Type::string()]), move |a| {
            Ok(t.string_list(s.list_dir(&text(&a[0]))))
        }),
    );

    let (s, t) = (store.clone(), types.clone());
    map.insert(
        "get",
        Function::new(Signature::new([Type::string()]).returns_error(), move |a| {
            s.get(&text(&a[0])).map(|p| t.pair(p)).map_err(fail)
        }),
    );

    let (s, t) = (store.clone(), types.clone());
    map.insert(
        "gets",
        Function::new(Signature::new([Type::string()]).returns_error(), move |a| {
            let mut pairs = Vec::new();
            s.for_each_match(&text(&a[0]), |k, v| pairs.push(t.shared_pair(k, v))).map_err(fail)?;
            Ok(Value::list(t.kv_pairs.clone(), pairs))
        }),
    );

    let s = store.clone();
    map.insert(
        "getv",
        Function::new(
            Signature::new([Type::string()]).variadic(Type::string()).returns_error(),
            move |a| {
                let default = a.get(1).map(text);
                s.get_value(&text(&a[0]), default.as_deref()).map(Value::from).map_err(fail)
            },
        ),
    );

    let (s, t) = (store, types.clone());
    map.insert(
        "getvs",
        Function::new(Signature::new([Type::string()]).returns_error(), move |a| {
            s.get_all_values(&text(&a[0])).map(|v| t.string_list(v)).map_err(fail)
        }),
    );

    map
}
