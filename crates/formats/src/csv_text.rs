//! CSV in memory through the csv crate: a table written row by row into a string, and text read into records with
//! the line each starts on (for errors that name the line). RFC 4180 quoting, LF or CRLF; blank lines are skipped.

/// A CSV text being written. Rows may have different lengths (the report CSV has two sections).
pub struct Table {
    /// Text of the sections before the current one.
    done: Vec<u8>,
    writer: csv::Writer<Vec<u8>>,
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().flexible(true).from_writer(Vec::new())
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table { done: Vec::new(), writer: writer() }
    }

    /// Appends a row; fields are quoted where they need it.
    pub fn row(&mut self, fields: &[&str]) {
        self.writer.write_record(fields).expect("writing CSV to memory cannot fail");
    }

    /// Appends an empty line (a section break).
    pub fn blank_line(&mut self) {
        let section = std::mem::replace(&mut self.writer, writer());
        self.done.extend(section.into_inner().expect("writing CSV to memory cannot fail"));
        self.done.push(b'\n');
    }

    /// The text.
    pub fn finish(mut self) -> String {
        self.done.extend(self.writer.into_inner().expect("writing CSV to memory cannot fail"));
        String::from_utf8(self.done).expect("every field written is UTF-8")
    }
}

/// CSV text read into records, each with the 1-based line it starts on.
pub struct Records(pub Vec<(usize, csv::StringRecord)>);

impl Records {
    /// Reads every record of `text`; a malformed one is `(line, reason)`.
    pub fn read(text: &str) -> Result<Records, (usize, String)> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut out = Vec::new();
        for record in reader.records() {
            match record {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line() as usize);
                    out.push((line, r));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    return Err((line, e.to_string()));
                }
            }
        }
        Ok(Records(out))
    }
}
