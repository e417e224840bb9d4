// Checksums used on the wire and in flash: XOR-8 (legacy outlet radio frames),
// CRC-16/CCITT-FALSE (v2 radio frames) and CRC-32/ISO-HDLC (config store slots).
// Bitwise implementations: no tables, so no RAM or flash cost beyond the code.
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstdint>

#include "fw/span.h"

namespace sw::fw {

// XOR of all bytes.
uint8_t Xor8(ByteSpan data);

// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR.
// Check value: "123456789" -> 0x29B1.
uint16_t Crc16Ccitt(ByteSpan data, uint16_t crc = 0xFFFF);

// CRC-32 (zlib/Ethernet): poly 0x04C11DB7 reflected, init and final XOR 0xFFFFFFFF.
// Check value: "123456789" -> 0xCBF43926.
uint32_t Crc32(ByteSpan data);

}  // namespace sw::fw
