using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Checkpointing.FileStore;

/// <summary>CRC-32C (Castagnoli), the checksum of journal records: hardware instructions where present, a table otherwise.</summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78; // reflected 0x1EDC6F41
    private static readonly uint[] Table = CreateTable();

    /// <summary>x^(2^k) modulo the CRC polynomial, for k from 0 to 31.</summary>
    private static readonly uint[] XPow2K = CreatePowers();

    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        if (Sse42.X64.IsSupported)
        {
            ulong wide = crc;
            while (data.Length >= 8)
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            crc = (uint)wide;
        }
        else if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                crc = Crc32.Arm64.ComputeCrc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
        }

        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>
    /// Computes the CRC-32C of the bytes between two prefixes of the same data, from the CRC-32Cs of those prefixes:
    /// <c>CRC(data[a..b])</c> from <c>CRC(data[..a])</c> and <c>CRC(data[..b])</c>, in O(log length) (the algebra of
    /// zlib's <c>crc32_combine</c>).
    /// </summary>
    /// <param name="crcOfPrefix">The CRC-32C of <c>data[..a]</c>.</param>
    /// <param name="crcOfLongerPrefix">The CRC-32C of <c>data[..b]</c>.</param>
    /// <param name="length"><c>b - a</c>.</param>
    public static uint OfRange(uint crcOfPrefix, uint crcOfLongerPrefix, long length) =>
        crcOfLongerPrefix ^ MultiplyModP(XPow8NModP(length), crcOfPrefix);

    /// <summary>Computes <c>CRC(a + b)</c> from <c>CRC(a)</c>, <c>CRC(b)</c> and the length of <c>b</c>.</summary>
    public static uint Concat(uint crcOfFirst, uint crcOfSecond, long lengthOfSecond) =>
        MultiplyModP(XPow8NModP(lengthOfSecond), crcOfFirst) ^ crcOfSecond;

    /// <summary>Multiplies two polynomials modulo the CRC polynomial (reflected bit order).</summary>
    private static uint MultiplyModP(uint a, uint b)
    {
        var product = 0u;
        for (var m = 1u << 31; m != 0; m >>= 1)
        {
            if ((a & m) != 0)
            {
                product ^= b;
            }

            b = (b & 1) != 0 ? (b >> 1) ^ Polynomial : b >> 1;
        }

        return product;
    }

    /// <summary>Computes x^(8n) modulo the CRC polynomial: the effect of n zero bytes.</summary>
    private static uint XPow8NModP(long n)
    {
        var result = 1u << 31; // x^0
        for (var k = 3; n != 0; n >>= 1, k++)
        {
            if ((n & 1) != 0)
            {
                result = MultiplyModP(XPow2K[k & 31], result);
            }
        }

        return result;
    }

    private static uint[] CreatePowers()
    {
        var powers = new uint[32];
        var p = 1u << 30; // x^1
        for (var k = 0; k < powers.Length; k++)
        {
            powers[k] = p;
            p = MultiplyModP(p, p);
        }

        return powers;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var entry = i;
            for (var bit = 0; bit < 8; bit++)
            {
                entry = (entry & 1) != 0 ? (entry >> 1) ^ Polynomial : entry >> 1;
            }

            table[i] = entry;
        }

        return table;
    }
}
