using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Checkpointing.FileStore;

/// <summary>
/// The journal's binary framing. A journal is a header (<c>CKPTJRN1</c> and the 32-hex id of the journal
/// generation, which the snapshot names in <c>journal_id</c>) followed by records:
/// <c>[payload length: u32 LE][CRC-32C of the length field: u32 LE][CRC-32C of payload: u32 LE][payload: one change as
/// UTF-8 JSON]</c>, then zero-filled space that the next records overwrite. The length has its own checksum so that a
/// damaged length in the middle of the journal is reported as corruption instead of being mistaken for a torn last record
/// (which would silently drop every record after it).
/// </summary>
internal static class JournalFormat
{
    /// <summary>The size of the header in bytes.</summary>
    public const int HeaderSize = 8 + IdLength;

    /// <summary>The size of a record's length and checksum fields.</summary>
    public const int RecordHeaderSize = 12;

    private const int IdLength = 32;

    private static ReadOnlySpan<byte> Magic => "CKPTJRN1"u8;

    /// <summary>Creates a new journal generation id.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// The id of the generation that follows <paramref name="journalId"/> when a background compaction switches the
    /// appends to a new journal before the snapshot naming it is written: derived, not random, so that a successor
    /// file continues exactly the journal whose id it derives from, and a successor left from any other generation is
    /// recognised as stale without a header field the first format does not have.
    /// </summary>
    public static string SuccessorId(string journalId)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes("successor of " + journalId), hash);
        return Convert.ToHexString(hash[..(IdLength / 2)]).ToLowerInvariant();
    }

    /// <summary>Builds the header of a journal generation.</summary>
    public static byte[] CreateHeader(string journalId)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        if (journalId.Length != IdLength)
        {
            throw new ArgumentException("A journal id is 32 hex characters.", nameof(journalId));
        }

        Encoding.ASCII.GetBytes(journalId, header.AsSpan(Magic.Length));

        return header;
    }

    /// <summary>Reads a header: the id, or <see langword="null"/> when the file is shorter than a header (a torn create).</summary>
    /// <exception cref="CheckpointCorruptedException">The file is not a journal.</exception>
    public static string? ReadHeader(ReadOnlySpan<byte> file, string path)
    {
        if (file.Length < HeaderSize)
        {
            return null;
        }

        if (!file.StartsWith(Magic))
        {
            throw new CheckpointCorruptedException(path, 0, "not a checkpoint journal (bad magic)");
        }

        return Encoding.ASCII.GetString(file.Slice(Magic.Length, IdLength));
    }

    /// <summary>Frames a payload written after <see cref="RecordHeaderSize"/> reserved bytes of <paramref name="buffer"/>.</summary>
    public static ReadOnlyMemory<byte> Seal(ArrayBufferWriter<byte> buffer)
    {
        var record = buffer.WrittenMemory;
        var payload = record.Span[RecordHeaderSize..];
        var header = new byte[RecordHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), Crc32C.Compute(header.AsSpan(0, 4)));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Crc32C.Compute(payload));
        var writable = System.Runtime.InteropServices.MemoryMarshal.AsMemory(record);
        header.CopyTo(writable.Span);
        return record;
    }

    /// <summary>Reserves the record header at the start of an empty buffer, before the payload is written.</summary>
    public static void Reserve(ArrayBufferWriter<byte> buffer)
    {
        buffer.GetSpan(RecordHeaderSize)[..RecordHeaderSize].Clear();
        buffer.Advance(RecordHeaderSize);
    }
}
