//! Values across the seam: [`Datum`] into a statement ([`ToParam`]) and out of a row ([`FromCell`]).

use std::error::Error;

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use rusqlite::types::{ToSqlOutput, ValueRef};

/// One SQL value, borrowed: a statement's parameter (from the caller) or a row's column (from
/// the row).
#[derive(Debug, Clone, Copy)]
pub enum Datum<'a> {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Anything that can be bound to a placeholder.
pub trait ToParam {
    fn to_param(&self) -> Datum<'_>;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl ToParam for $t {
            fn to_param(&self) -> Datum<'_> {
                Datum::Int(i64::from(*self))
            }
        }
    )*};
}
int_param!(i64, i32, u32, u16, u8);

impl ToParam for f64 {
    fn to_param(&self) -> Datum<'_> {
        Datum::Real(*self)
    }
}
impl ToParam for bool {
    fn to_param(&self) -> Datum<'_> {
        Datum::Bool(*self)
    }
}
impl ToParam for str {
    fn to_param(&self) -> Datum<'_> {
        Datum::Text(self)
    }
}
impl ToParam for String {
    fn to_param(&self) -> Datum<'_> {
        Datum::Text(self)
    }
}
impl ToParam for [u8] {
    fn to_param(&self) -> Datum<'_> {
        Datum::Blob(self)
    }
}
impl ToParam for Vec<u8> {
    fn to_param(&self) -> Datum<'_> {
        Datum::Blob(self)
    }
}
impl<const N: usize> ToParam for [u8; N] {
    fn to_param(&self) -> Datum<'_> {
        Datum::Blob(self)
    }
}
impl<T: ToParam + ?Sized> ToParam for &T {
    fn to_param(&self) -> Datum<'_> {
        (**self).to_param()
    }
}
impl<T: ToParam> ToParam for Option<T> {
    fn to_param(&self) -> Datum<'_> {
        self.as_ref().map_or(Datum::Null, ToParam::to_param)
    }
}

impl rusqlite::ToSql for Datum<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Datum::Null => ValueRef::Null,
            Datum::Int(i) => ValueRef::Integer(i),
            Datum::Real(f) => ValueRef::Real(f),
            Datum::Bool(b) => ValueRef::Integer(i64::from(b)),
            Datum::Text(s) => ValueRef::Text(s.as_bytes()),
            Datum::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

type BoxError = Box<dyn Error + Sync + Send>;

fn mismatch(p: &Datum<'_>, ty: &Type) -> BoxError {
    format!("cannot bind {p:?} to a parameter of type {ty}").into()
}

impl ToSql for Datum<'_> {
    /// Encodes as the type PostgreSQL inferred for the placeholder.
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let int = |i: i64, out: &mut BytesMut| -> Result<IsNull, BoxError> {
            match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            }
        };
        match *self {
            Datum::Null => Ok(IsNull::Yes),
            Datum::Int(i) => int(i, out),
            Datum::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            Datum::Bool(b) => int(i64::from(b), out),
            Datum::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (f as f32).to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Datum::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => s.to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Datum::Blob(b) if *ty == Type::BYTEA => b.to_sql(ty, out),
            Datum::Blob(_) => Err(mismatch(self, ty)),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> From<ValueRef<'a>> for Datum<'a> {
    fn from(v: ValueRef<'a>) -> Self {
        match v {
            ValueRef::Null => Datum::Null,
            ValueRef::Integer(i) => Datum::Int(i),
            ValueRef::Real(f) => Datum::Real(f),
            // SQLite text is UTF-8 by pacer's own writes; anything else reads as a blob.
            ValueRef::Text(t) => std::str::from_utf8(t).map_or(Datum::Blob(t), Datum::Text),
            ValueRef::Blob(b) => Datum::Blob(b),
        }
    }
}

impl<'a> FromSql<'a> for Datum<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(match *ty {
            Type::BOOL => Datum::Bool(bool::from_sql(ty, raw)?),
            Type::INT8 => Datum::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Datum::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Datum::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::FLOAT8 => Datum::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Datum::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::BYTEA => Datum::Blob(<&[u8]>::from_sql(ty, raw)?),
            _ => Datum::Text(<&str>::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Datum::Null)
    }

    fn accepts(ty: &Type) -> bool {
        // Text-like types read as text; NUMERIC (a widened SUM) must be cast in the SQL.
        *ty != Type::NUMERIC
    }
}

/// A Rust type a [`Datum`] converts into.
pub trait FromCell: Sized {
    fn from_cell(cell: Datum<'_>) -> Result<Self, String>;
}

fn wrong(cell: Datum<'_>, want: &str) -> String {
    match cell {
        Datum::Null => format!("NULL where {want} was expected"),
        other => format!("{other:?} where {want} was expected"),
    }
}

impl FromCell for i64 {
    fn from_cell(cell: Datum<'_>) -> Result<Self, String> {
        match cell {
            Datum::Int(i) => Ok(i),
            Datum::Bool(b) => Ok(i64::from(b)),
            other => Err(wrong(other, "an integer")),
        }
    }
}

macro_rules! narrow_int {
    ($($t:ty),*) => {$(
        impl FromCell for $t {
            fn from_cell(cell: Datum<'_>) -> Result<Self, String> {
                let i = i64::from_cell(cell)?;
                <$t>::try_from(i).map_err(|_| format!("{i} out of range for {}", stringify!($t)))
            }
        }
    )*};
}
narrow_int!(i32, u32, u64, u16, u8, usize);

impl FromCell for f64 {
    fn from_cell(cell: Datum<'_>) -> Result<Self, String> {
        match cell {
            Datum::Real(f) => Ok(f),
            Datum::Int(i) => Ok(i as f64),
            other => Err(wrong(other, "a number")),
        }
    }
}

impl FromCell for bool {
    fn from_cell(cell: Datum<'_>) -> Result<Self, String> {
        match cell {
            Datum::Bool(b) => Ok(b),
            Datum::Int(i) => Ok(i != 0),
            other => Err(wrong(other, "a boolean")),
        }
    }
}

impl FromCell for String {
    fn from_cell(cell: Datum<'_>) -> Result<Self, String> {
        match cell {
            Datum::Text(s) => Ok(s.to_owned()),
            other => Err(wrong(other, "text")),
        }
    }
}

impl FromCell for Vec<u8> {
    fn from_cell(cell: Datum<'_>) -> Result<Self, String> {
        match cell {
            Datum::Blob(b) => Ok(b.to_vec()),
            Datum::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(wrong(other, "bytes")),
        }
    }
}

impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: Datum<'_>) -> Result<Self, String> {
        match cell {
            Datum::Null => Ok(None),
            other => T::from_cell(other).map(Some),
        }
    }
}
