//! `wasm-export-table MODULE`: exports the module's function table as `__indirect_function_table`, in place.
//!
//! The bundle is split (scripts/build-app, app/src/split.rs): the split modules call into the main one through its
//! function table, which `wasm-split-cli` exports. wasm-bindgen then removes that export (it drops what the linker
//! exports by default), and the split modules fail to link. This puts the export back, and checks what it exports:
//! table 0, a funcref table defined by the module itself. Anything unexpected in the module is an error, never a
//! guess.

use std::process::ExitCode;

const NAME: &str = "__indirect_function_table";

fn leb(bytes: &[u8], at: &mut usize) -> Result<u32, String> {
    let mut value: u64 = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*at).ok_or("the module ends inside a number")?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return u32::try_from(value).map_err(|_| "a number is out of range".to_string());
        }
    }
    Err("a number is too long".into())
}

fn put_leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn name<'a>(bytes: &'a [u8], at: &mut usize) -> Result<&'a [u8], String> {
    let len = leb(bytes, at)? as usize;
    let s = bytes.get(*at..*at + len).ok_or("the module ends inside a name")?;
    *at += len;
    Ok(s)
}

/// Skips resizable limits (a flags byte, the minimum, and the maximum when flag bit 0 is set).
fn limits(bytes: &[u8], at: &mut usize) -> Result<(), String> {
    let flags = *bytes.get(*at).ok_or("the module ends inside limits")?;
    *at += 1;
    if flags & !0x07 != 0 {
        return Err(format!("unknown limits flags {flags:#x}"));
    }
    leb(bytes, at)?;
    if flags & 1 != 0 {
        leb(bytes, at)?;
    }
    Ok(())
}

/// The number of tables the module imports (they come first in the table index space).
fn imported_tables(payload: &[u8]) -> Result<u32, String> {
    let mut at = 0;
    let mut tables = 0;
    for _ in 0..leb(payload, &mut at)? {
        name(payload, &mut at)?;
        name(payload, &mut at)?;
        let kind = *payload.get(at).ok_or("the import section ends early")?;
        at += 1;
        match kind {
            0 => {
                leb(payload, &mut at)?;
            }
            1 => {
                tables += 1;
                at += 1;
                limits(payload, &mut at)?;
            }
            2 => limits(payload, &mut at)?,
            3 => at += 2,
            4 => {
                at += 1;
                leb(payload, &mut at)?;
            }
            k => return Err(format!("unknown import kind {k}")),
        }
    }
    Ok(tables)
}

fn export_table(module: &[u8]) -> Result<Vec<u8>, String> {
    if module.get(..8) != Some(b"\0asm\x01\0\0\0") {
        return Err("not a wasm module (version 1)".into());
    }
    // the sections, as (id, payload range)
    let mut sections = Vec::new();
    let mut at = 8;
    while at < module.len() {
        let id = module[at];
        at += 1;
        let len = leb(module, &mut at)? as usize;
        let end = at.checked_add(len).filter(|&e| e <= module.len()).ok_or("a section runs past the end")?;
        sections.push((id, at..end));
        at = end;
    }
    let payload = |id: u8| sections.iter().find(|(i, _)| *i == id).map(|(_, r)| &module[r.clone()]);
    if payload(2).map(imported_tables).transpose()?.unwrap_or(0) != 0 {
        return Err("the module imports a table: table 0 is not its own".into());
    }
    let tables = payload(4).ok_or("the module has no table")?;
    let mut at = 0;
    if leb(tables, &mut at)? == 0 || tables.get(at) != Some(&0x70) {
        return Err("table 0 is not a funcref table".into());
    }
    let exports = payload(7).ok_or("the module has no export section")?;
    let mut at = 0;
    let count = leb(exports, &mut at)?;
    let entries = at;
    for _ in 0..count {
        let n = name(exports, &mut at)?;
        let kind = *exports.get(at).ok_or("the export section ends early")?;
        at += 1;
        let index = leb(exports, &mut at)?;
        if n == NAME.as_bytes() {
            return if kind == 1 && index == 0 {
                Ok(module.to_vec())
            } else {
                Err(format!("{NAME} names something else"))
            };
        }
    }
    let mut section = Vec::new();
    put_leb(&mut section, count + 1);
    section.extend_from_slice(&exports[entries..]);
    put_leb(&mut section, NAME.len() as u32);
    section.extend_from_slice(NAME.as_bytes());
    section.extend_from_slice(&[1, 0]);
    let mut out = module[..8].to_vec();
    for (id, range) in &sections {
        out.push(*id);
        if *id == 7 {
            put_leb(&mut out, section.len() as u32);
            out.extend_from_slice(&section);
        } else {
            put_leb(&mut out, range.len() as u32);
            out.extend_from_slice(&module[range.clone()]);
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: wasm-export-table MODULE.wasm");
        return ExitCode::from(2);
    };
    let result = std::fs::read(&path)
        .map_err(|e| format!("cannot read {path}: {e}"))
        .and_then(|m| export_table(&m).map_err(|e| format!("{path}: {e}")))
        .and_then(|out| std::fs::write(&path, out).map_err(|e| format!("cannot write {path}: {e}")));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasm-export-table: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one funcref table and one exported memory: (table 1 funcref) (memory 1) (export "memory").
    fn module(exports: &[u8]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[4, 4, 1, 0x70, 0, 1]); // table section
        m.extend_from_slice(&[5, 3, 1, 0, 1]); // memory section
        m.push(7);
        m.push(exports.len() as u8);
        m.extend_from_slice(exports);
        m
    }

    #[test]
    fn adds_the_export_once() {
        let m = module(&[1, 6, b'm', b'e', b'm', b'o', b'r', b'y', 2, 0]);
        let out = export_table(&m).unwrap();
        let mut want = vec![2, 6, b'm', b'e', b'm', b'o', b'r', b'y', 2, 0, NAME.len() as u8];
        want.extend_from_slice(NAME.as_bytes());
        want.extend_from_slice(&[1, 0]);
        assert_eq!(out, module(&want));
        // a second run changes nothing
        assert_eq!(export_table(&out).unwrap(), out);
    }

    #[test]
    fn refuses_what_it_does_not_expect() {
        assert!(export_table(b"not wasm").is_err());
        let mut m = module(&[0]);
        m[11] = 0x6f; // an externref table
        assert_eq!(export_table(&m).unwrap_err(), "table 0 is not a funcref table");
        let mut truncated = module(&[0]);
        truncated.truncate(truncated.len() - 1);
        assert!(export_table(&truncated).is_err());
    }
}
