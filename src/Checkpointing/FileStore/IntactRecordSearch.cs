using System.Buffers.Binary;

namespace Checkpointing.FileStore;

/// <summary>
/// Tells whether an intact journal record starts anywhere after a record that is not intact, in time linear in the
/// journal's size. Checking each offset's payload checksum on its own is quadratic when a crafted journal declares a
/// long, checksum-valid length every few bytes; instead, every offset whose length field is intact is collected, the
/// CRC-32C of every prefix they need is computed in one pass, and each payload's CRC is derived from two prefix CRCs.
/// </summary>
internal static class IntactRecordSearch
{
    /// <summary>
    /// The most records with an intact length field looked at. A torn append holds at most one (its own) and,
    /// by chance, one in four billion offsets; past this many the bytes are not a torn append but damage.
    /// </summary>
    internal const int MaxCandidates = 1 << 16;

    /// <summary>Whether an intact record starts at or after <paramref name="from"/>.</summary>
    public static bool AnyAfter(byte[] journal, int from)
    {
        var candidates = new List<(int Start, int Length)>();
        var last = journal.Length - JournalFormat.RecordHeaderSize - 1;
        for (var offset = from; offset <= last; offset++)
        {
            // A record's length field is never zero: skip runs of zeros at once. The first non-zero byte must fall in the
            // length field (4 bytes) of a record starting here or later.
            var nonZero = journal.AsSpan(offset).IndexOfAnyExcept((byte)0);
            if (nonZero < 0)
            {
                break;
            }

            offset += Math.Max(0, nonZero - 3);
            if (offset <= last && IntactLength(journal, offset) is { } length)
            {
                if (candidates.Count == MaxCandidates)
                {
                    return true;
                }

                candidates.Add((offset, length));
            }
        }

        return AnyPayloadIntact(journal, candidates);
    }

    /// <summary>The payload length declared at <paramref name="offset"/> when that field is intact, non-zero and within the file.</summary>
    private static int? IntactLength(byte[] journal, int offset)
    {
        var header = journal.AsSpan(offset, JournalFormat.RecordHeaderSize);
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(header);
        return declared != 0
            && declared <= (uint)(journal.Length - offset - JournalFormat.RecordHeaderSize)
            && Crc32C.Compute(header[..4]) == BinaryPrimitives.ReadUInt32LittleEndian(header[4..])
            ? (int)declared
            : null;
    }

    /// <summary>Whether any candidate's payload matches its checksum; O(journal + candidates × log) in all.</summary>
    private static bool AnyPayloadIntact(byte[] journal, List<(int Start, int Length)> candidates)
    {
        var positions = new int[candidates.Count * 2];
        for (var i = 0; i < candidates.Count; i++)
        {
            var payload = candidates[i].Start + JournalFormat.RecordHeaderSize;
            positions[2 * i] = payload;
            positions[(2 * i) + 1] = payload + candidates[i].Length;
        }

        Array.Sort(positions);
        var prefixCrcs = new uint[positions.Length];
        uint crc = 0;
        var previous = 0;
        for (var i = 0; i < positions.Length; i++)
        {
            var position = positions[i];
            crc = Crc32C.Concat(crc, Crc32C.Compute(journal.AsSpan(previous, position - previous)), position - previous);
            prefixCrcs[i] = crc;
            previous = position;
        }

        foreach (var (start, length) in candidates)
        {
            var payload = start + JournalFormat.RecordHeaderSize;
            var atStart = prefixCrcs[Array.BinarySearch(positions, payload)];
            var atEnd = prefixCrcs[Array.BinarySearch(positions, payload + length)];
            if (Crc32C.OfRange(atStart, atEnd, length) == BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(start + 8)))
            {
                return true;
            }
        }

        return false;
    }
}
