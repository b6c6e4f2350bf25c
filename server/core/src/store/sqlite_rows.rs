//! Many rows in few statements on SQLite: multi-row `INSERT … VALUES` with anonymous (`?`)
//! parameters, in chunks of a few fixed sizes so that each statement is prepared once per
//! connection and reused.
//!
//! Why not one JSON array unpacked with `json_each`: every value is then escaped into JSON,
//! parsed by SQLite and unescaped again — for a decision's 7 KB of request and answer, more
//! work than the insert itself. Why anonymous parameters: sqlx finds a numbered (`$n`)
//! parameter's position through SQLite's list of parameter names, a scan per parameter, so a
//! statement with thousands of them costs quadratic time to bind.

use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::Sqlite;

/// Rows per statement, largest first; a batch is cut greedily into these.
const CHUNKS: [usize; 4] = [64, 16, 4, 1];

/// One table's insert, written out for each chunk size.
pub(super) struct MultiRowInsert {
    statements: [String; CHUNKS.len()],
}

impl MultiRowInsert {
    /// For `head` (`INSERT INTO t (a, b, …)`) and its number of columns.
    pub fn new(head: &str, columns: usize) -> Self {
        let row = format!("({})", vec!["?"; columns].join(", "));
        Self {
            statements: CHUNKS
                .map(|rows| format!("{head} VALUES {}", vec![row.as_str(); rows].join(", "))),
        }
    }

    /// Inserts `items`, each item's values bound in the columns' order by `bind`.
    pub async fn run<'q, T>(
        &'q self,
        conn: &mut sqlx::SqliteConnection,
        items: &'q [T],
        bind: impl Fn(
            Query<'q, Sqlite, SqliteArguments<'q>>,
            &'q T,
        ) -> Query<'q, Sqlite, SqliteArguments<'q>>,
    ) -> Result<(), sqlx::Error> {
        let mut rest = items;
        while !rest.is_empty() {
            let (size, sql) = CHUNKS
                .iter()
                .zip(&self.statements)
                .find(|(size, _)| **size <= rest.len())
                .map_or((1, &self.statements[CHUNKS.len() - 1]), |(size, sql)| {
                    (*size, sql)
                });
            let (chunk, after) = rest.split_at(size);
            let query = chunk.iter().fold(sqlx::query(sql), &bind);
            query.execute(&mut *conn).await?;
            rest = after;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_has_one_placeholder_per_value() {
        let insert = MultiRowInsert::new("INSERT INTO t (a, b)", 2);
        assert_eq!(
            insert.statements[2],
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?), (?, ?)"
        );
        assert_eq!(insert.statements[3], "INSERT INTO t (a, b) VALUES (?, ?)");
    }

    #[tokio::test]
    async fn every_row_of_a_batch_is_inserted_once_in_order_whatever_its_size() {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        sqlx::query("CREATE TABLE t (n INTEGER NOT NULL, text TEXT NOT NULL)")
            .execute(&mut conn)
            .await
            .expect("a table");
        let insert = MultiRowInsert::new("INSERT INTO t (n, text)", 2);
        // Sizes that take every chunk size, and none.
        for size in [0usize, 1, 3, 4, 21, 64, 150] {
            sqlx::query("DELETE FROM t")
                .execute(&mut conn)
                .await
                .expect("emptied");
            let items: Vec<(i64, String)> = (0..size as i64)
                .map(|n| (n, format!("row \"{n}\" with 'quotes' and \\ {n}")))
                .collect();
            insert
                .run(&mut conn, &items, |q, item| {
                    q.bind(item.0).bind(item.1.as_str())
                })
                .await
                .expect("inserted");
            let stored: Vec<(i64, String)> = sqlx::query_as("SELECT n, text FROM t ORDER BY rowid")
                .fetch_all(&mut conn)
                .await
                .expect("read back");
            assert_eq!(stored, items, "a batch of {size}");
        }
    }
}
