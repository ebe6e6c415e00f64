//! FIT framing: messages built field by field, definitions emitted when a layout changes, the
//! 14-byte header with its CRC and the trailing file CRC (FIT SDK's 4-bit table CRC-16).

/// Seconds between the unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
pub const FIT_EPOCH_UNIX: i64 = 631_065_600;
const PROTOCOL_VERSION: u8 = 0x20;
const PROFILE_VERSION: u16 = 2132;

/// FIT base types (the byte in a field definition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum BaseType {
    /// Enum, 1 byte, invalid 0xFF.
    Enum = 0x00,
    /// sint8.
    Sint8 = 0x01,
    /// uint8.
    Uint8 = 0x02,
    /// uint16.
    Uint16 = 0x84,
    /// sint32.
    Sint32 = 0x85,
    /// uint32.
    Uint32 = 0x86,
    /// uint32z (0 is invalid).
    Uint32z = 0x8C,
}

/// CRC-16 as in the FIT SDK (`fit_crc.c`; CRC-16/ARC), one table lookup per byte.
pub fn crc(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, byte| (crc >> 8) ^ CRC_TABLE[usize::from((crc as u8) ^ byte)])
}

const CRC_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xA001 } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// One message under construction: its global number, field layout and little-endian values.
#[derive(Clone, Debug, Default)]
pub struct Message {
    global: u16,
    layout: Vec<(u8, u8, u8)>,
    bytes: Vec<u8>,
}

impl Message {
    /// An empty message of global number `global` (e.g. 20 = record).
    pub fn new(global: u16) -> Message {
        Message { global, layout: Vec::with_capacity(16), bytes: Vec::with_capacity(48) }
    }

    /// The message's global number.
    pub fn global(&self) -> u16 {
        self.global
    }

    fn field(mut self, number: u8, base: BaseType, bytes: &[u8]) -> Message {
        self.layout.push((number, bytes.len() as u8, base as u8));
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// An enum field (`None` = invalid).
    pub fn enumeration(self, number: u8, value: Option<u8>) -> Message {
        self.field(number, BaseType::Enum, &[value.unwrap_or(0xFF)])
    }

    /// A uint8 field (`None` = invalid).
    pub fn u8(self, number: u8, value: Option<u8>) -> Message {
        self.field(number, BaseType::Uint8, &[value.unwrap_or(0xFF)])
    }

    /// A sint8 field (`None` = invalid).
    pub fn i8(self, number: u8, value: Option<i8>) -> Message {
        self.field(number, BaseType::Sint8, &value.unwrap_or(0x7F).to_le_bytes())
    }

    /// A uint16 field (`None` = invalid).
    pub fn u16(self, number: u8, value: Option<u16>) -> Message {
        self.field(number, BaseType::Uint16, &value.unwrap_or(0xFFFF).to_le_bytes())
    }

    /// A sint32 field (`None` = invalid).
    pub fn i32(self, number: u8, value: Option<i32>) -> Message {
        self.field(number, BaseType::Sint32, &value.unwrap_or(0x7FFF_FFFF).to_le_bytes())
    }

    /// A uint32 field (`None` = invalid).
    pub fn u32(self, number: u8, value: Option<u32>) -> Message {
        self.field(number, BaseType::Uint32, &value.unwrap_or(0xFFFF_FFFF).to_le_bytes())
    }

    /// A uint32z field (serial numbers).
    pub fn u32z(self, number: u8, value: u32) -> Message {
        self.field(number, BaseType::Uint32z, &value.to_le_bytes())
    }
}

/// A local message type's current definition: global number and (field, size, base type)s.
type Definition = (u16, Vec<(u8, u8, u8)>);

/// Writes messages, re-defining a local message type only when its layout changes.
#[derive(Debug, Default)]
pub struct FitWriter {
    data: Vec<u8>,
    defined: [Option<Definition>; 16],
}

impl FitWriter {
    /// A writer with room for about `bytes` of data.
    pub fn with_capacity(bytes: usize) -> FitWriter {
        FitWriter { data: Vec::with_capacity(bytes), defined: Default::default() }
    }

    /// Appends `message` as local type `local` (0–15), preceded by a definition when needed.
    pub fn write(&mut self, local: u8, message: &Message) {
        let slot = &mut self.defined[usize::from(local & 0x0F)];
        let same = slot.as_ref().is_some_and(|(global, layout)| *global == message.global && *layout == message.layout);
        if !same {
            self.data.extend_from_slice(&[0x40 | local, 0, 0]);
            self.data.extend_from_slice(&message.global.to_le_bytes());
            self.data.push(message.layout.len() as u8);
            for (number, size, base) in &message.layout {
                self.data.extend_from_slice(&[*number, *size, *base]);
            }
            *slot = Some((message.global, message.layout.clone()));
        }
        self.data.push(local & 0x0F);
        self.data.extend_from_slice(&message.bytes);
    }

    /// The complete file: 14-byte header with CRC, data, file CRC.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 16);
        out.extend_from_slice(&[14u8, PROTOCOL_VERSION]);
        out.extend_from_slice(&PROFILE_VERSION.to_le_bytes());
        out.extend_from_slice(&(self.data.len() as u32).to_le_bytes());
        out.extend_from_slice(b".FIT");
        let header_crc = crc(&out);
        out.extend_from_slice(&header_crc.to_le_bytes());
        // With a non-zero header CRC the file CRC over header + data equals the CRC over data
        // alone (a CRC over a value followed by itself is 0); a zero header CRC means "absent".
        let data_crc = if header_crc == 0 { crc(&[&out[..], &self.data[..]].concat()) } else { crc(&self.data) };
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&data_crc.to_le_bytes());
        out
    }
}

/// A unix time in FIT seconds.
pub fn fit_time(unix: i64) -> u32 {
    (unix - FIT_EPOCH_UNIX) as u32
}

/// Degrees to FIT semicircles.
pub fn semicircles(degrees: f64) -> i32 {
    (degrees * (2_147_483_648.0 / 180.0)).round() as i32
}

#[cfg(test)]
mod tests {
    /// The FIT SDK's nibble-wise CRC, as in `web-daemon/src/sandbox/tests/fit_file.rs`.
    fn sdk_crc(data: &[u8]) -> u16 {
        const TABLE: [u16; 16] = [
            0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800, 0xB401, 0x5000,
            0x9C01, 0x8801, 0x4400,
        ];
        data.iter().fold(0u16, |mut crc, byte| {
            let tmp = TABLE[usize::from(crc & 0xF)];
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ TABLE[usize::from(byte & 0xF)];
            let tmp = TABLE[usize::from(crc & 0xF)];
            ((crc >> 4) & 0x0FFF) ^ tmp ^ TABLE[usize::from((byte >> 4) & 0xF)]
        })
    }

    #[test]
    fn table_crc_equals_the_sdk_crc() {
        let data: Vec<u8> = (0..5_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        assert_eq!(super::crc(&data), sdk_crc(&data));
        assert_eq!(super::crc(b"123456789"), 0xBB3D); // CRC-16/ARC check value
    }
}
