//! The printer: a [`SessionDescription`] as canonical SDP text.
//!
//! Canonical means RFC 4566 order (`v o s c b t a`, then each `m c b a`), CRLF line ends,
//! single spaces between fields, and always a `t=` line. Anything the parser accepted prints
//! back to text that parses to the same description.
//!
//! The model has public fields, so a value might hold a line break put there by hand; the
//! printer drops control characters rather than let a value start a line of its own.

use std::fmt::{self, Display, Formatter, Write};

use crate::model::{Attribute, Connection, Media, SessionDescription};

impl Display for SessionDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("v=0\r\n")?;
        let o = &self.origin;
        line(
            f,
            'o',
            &[
                &o.username,
                &o.session_id,
                &o.session_version.to_string(),
                &o.net_type,
                &o.addr_type,
                &o.address,
            ],
        )?;
        let name = if self.session_name.is_empty() { "-" } else { &self.session_name };
        line(f, 's', &[name])?;
        if let Some(c) = &self.connection {
            connection(f, c)?;
        }
        for b in &self.bandwidths {
            line(f, 'b', &[b])?;
        }
        line(f, 't', &[&self.timing.start.to_string(), &self.timing.stop.to_string()])?;
        for a in &self.attributes {
            attribute(f, a)?;
        }
        for m in &self.media {
            media(f, m)?;
        }
        Ok(())
    }
}

fn media(f: &mut Formatter<'_>, m: &Media) -> fmt::Result {
    let port = match m.port_count {
        Some(n) => format!("{}/{n}", m.port),
        None => m.port.to_string(),
    };
    let mut fields: Vec<&str> = vec![&m.kind, &port, &m.protocol];
    fields.extend(m.formats.iter().map(String::as_str));
    line(f, 'm', &fields)?;
    if let Some(c) = &m.connection {
        connection(f, c)?;
    }
    for b in &m.bandwidths {
        line(f, 'b', &[b])?;
    }
    for a in &m.attributes {
        attribute(f, a)?;
    }
    Ok(())
}

fn connection(f: &mut Formatter<'_>, c: &Connection) -> fmt::Result {
    line(f, 'c', &[&c.net_type, &c.addr_type, &c.address])
}

fn attribute(f: &mut Formatter<'_>, a: &Attribute) -> fmt::Result {
    f.write_str("a=")?;
    text(f, &a.name)?;
    if let Some(v) = &a.value {
        f.write_char(':')?;
        text(f, v)?;
    }
    f.write_str("\r\n")
}

/// `x=field field ...` and CRLF.
fn line(f: &mut Formatter<'_>, kind: char, fields: &[&str]) -> fmt::Result {
    f.write_char(kind)?;
    f.write_char('=')?;
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            f.write_char(' ')?;
        }
        text(f, field)?;
    }
    f.write_str("\r\n")
}

/// A value without its control characters (tab aside), so it cannot break the line.
fn text(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    if s.chars().any(|c| c.is_control() && c != '\t') {
        s.chars().filter(|c| !c.is_control() || *c == '\t').try_for_each(|c| f.write_char(c))
    } else {
        f.write_str(s)
    }
}
