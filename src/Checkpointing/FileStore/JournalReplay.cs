using System.Buffers.Binary;
using System.Runtime.ExceptionServices;
using Checkpointing.Json;
using Checkpointing.Models;

namespace Checkpointing.FileStore;

/// <summary>
/// Replays a journal over its snapshot. Zero-filled space after the last record is the writer's, kept ahead of its
/// appends; a torn last record (a crash mid-append) is ignored and cut by the next owner; a bad record with an intact
/// record after it is corruption, reported with the file and offset.
/// </summary>
internal static class JournalReplay
{
    /// <summary>The number of records from which they are parsed in parallel.</summary>
    private const int ParallelParseThreshold = 64;

    /// <summary>Replays <paramref name="journal"/> over <paramref name="snapshot"/>.</summary>
    /// <param name="journal">The journal's bytes, or <see langword="null"/> when there is none.</param>
    /// <param name="path">The journal's path, for errors.</param>
    /// <param name="snapshot">The snapshot the journal continues.</param>
    /// <returns>The replayed state.</returns>
    public static JournalState Replay(byte[]? journal, string path, SnapshotDocument snapshot)
    {
        if (journal is null)
        {
            return new JournalState(snapshot.Checkpoint, ValidLength: 0, FileLength: 0, IsCurrent: false, Records: 0, HasTornTail: false);
        }

        var id = JournalFormat.ReadHeader(journal, path);
        if (id is null || !string.Equals(id, snapshot.JournalId, StringComparison.Ordinal))
        {
            // (A journal whose header is cut short has no record to continue the snapshot with.)
            if (snapshot.JournalId is not null && ContinuesSnapshot(journal, path, snapshot.Checkpoint))
            {
                throw new CheckpointCorruptedException(
                    path,
                    JournalFormat.HeaderSize - 32,
                    $"the journal's id '{id}' is not the snapshot's journal_id '{snapshot.JournalId}', but its first record continues the snapshot (version {snapshot.Checkpoint.Version + 1}, written after it): the header is damaged");
            }

            // A journal of an earlier generation: the snapshot already holds everything it recorded.
            return new JournalState(snapshot.Checkpoint, 0, journal.Length, IsCurrent: false, Records: 0, HasTornTail: false);
        }

        // Frame and checksum every record first (cheap), then parse them (on all cores when there are many), then
        // apply them in order. Errors are raised in file order, whatever stage found them.
        var records = new List<(int Offset, int Length)>();
        var validLength = JournalFormat.HeaderSize;
        CheckpointCorruptedException? framingError = null;
        try
        {
            validLength = Frame(journal, path, records);
        }
        catch (CheckpointCorruptedException ex)
        {
            framingError = ex;
        }

        var changes = new CheckpointChange?[records.Count];
        var errors = new Exception?[records.Count];
        void Parse(int i)
        {
            var (offset, length) = records[i];
            try
            {
                // The context's offset is where the JSON starts (after the record's header), so that a syntax or decoding
                // error names the very byte.
                var payload = offset + JournalFormat.RecordHeaderSize;
                changes[i] = ChangeJsonReader.Read(journal.AsMemory(payload, length), new JsonReadContext(path, payload, DeferResponseText: true));
            }
            catch (CheckpointException ex) // the reader turns every problem of the record into one, with the file and offset
            {
                errors[i] = ex;
            }
        }

        void ParseInOrder()
        {
            for (var i = 0; i < records.Count; i++)
            {
                Parse(i);
            }
        }

        // Stryker disable once Equality,Boolean : parsed in parallel or in order, the records give the same changes and errors (tests read both ways)
        if (records.Count >= ParallelParseThreshold)
        {
            Parallel.For(0, records.Count, Parse);
        }
        else
        {
            ParseInOrder();
        }

        var checkpoint = snapshot.Checkpoint;
        for (var i = 0; i < records.Count; i++)
        {
            if (errors[i] is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            checkpoint = StoredChange.Apply(checkpoint, changes[i]!, path, records[i].Offset);
        }

        if (framingError is not null)
        {
            ExceptionDispatchInfo.Throw(framingError);
        }

        var tornTail = !IsAllZero(journal.AsSpan(validLength));
        return new JournalState(checkpoint, validLength, journal.Length, IsCurrent: true, records.Count, tornTail);
    }

    /// <summary>
    /// Finds the records whose framing and checksums are intact; returns the offset just past the last one. The first
    /// record that is not intact ends the journal if a crash mid-append can explain it, else it is corruption. The writer
    /// writes one record at a time, over zeros (or past the end of the file), and only after the previous one is durable;
    /// its pages can reach the disk in any order. So:
    /// <list type="bullet">
    /// <item>a record whose length is intact spans a known range: it is torn if it runs past the end of the file and no
    /// intact record starts inside it, or if part of it is still zeros (a page that never reached the disk; a JSON
    /// payload has no zero byte) and only zeros follow it. A whole record that fails its checksum, one followed by anything
    /// but zeros, or one running past the end over intact records, is damaged;</item>
    /// <item>a record whose length is not intact (zeros, or a header page that never reached the disk) is torn if no intact
    /// record follows it anywhere, and damaged if one does.</item>
    /// </list>
    /// Zero-filled space after the last record is the first case of the second kind.
    /// </summary>
    private static int Frame(byte[] journal, string path, List<(int Offset, int Length)> records)
    {
        var offset = JournalFormat.HeaderSize;
        while (true) // at the end of the file, Check finds a record header cut short, with no intact record after it
        {
            var problem = Check(journal, offset, out var length);
            if (problem is not null)
            {
                var damaged = DeclaredEnd(journal, offset) is { } end && end <= journal.Length
                    ? IsWhole(journal, offset, end) || !IsAllZero(journal.AsSpan(end))
                    : IntactRecordSearch.AnyAfter(journal, offset + 1);
                if (damaged)
                {
                    throw new CheckpointCorruptedException(path, offset, problem);
                }

                break;
            }

            records.Add((offset, length));
            offset += JournalFormat.RecordHeaderSize + length;
        }

        return offset;
    }

    /// <summary>
    /// Whether an intact first record of another journal generation continues the snapshot: it produces the snapshot's
    /// next version and was written no earlier than the snapshot. A stale journal's records are all older than the
    /// snapshot that replaced it, so only a damaged journal id makes this true.
    /// </summary>
    private static bool ContinuesSnapshot(byte[] journal, string path, PipelineCheckpoint snapshot)
    {
        if (Check(journal, JournalFormat.HeaderSize, out var length) is not null)
        {
            return false;
        }

        try
        {
            const int Payload = JournalFormat.HeaderSize + JournalFormat.RecordHeaderSize;
            var first = ChangeJsonReader.Read(journal.AsMemory(Payload, length), new JsonReadContext(path, Payload));
            return first.Version == snapshot.Version + 1 && first.Timestamp >= snapshot.UpdatedAt;
        }
        catch (CheckpointException)
        {
            return false;
        }
    }

    /// <summary>Checks the record at <paramref name="offset"/>: <see langword="null"/> when it is intact, else what is wrong with it.</summary>
    internal static string? Check(byte[] journal, int offset, out int length)
    {
        length = 0;
        var remaining = journal.Length - offset;
        if (remaining < JournalFormat.RecordHeaderSize)
        {
            return "journal record header cut short";
        }

        var header = journal.AsSpan(offset, JournalFormat.RecordHeaderSize);
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (Crc32C.Compute(header[..4]) != BinaryPrimitives.ReadUInt32LittleEndian(header[4..]))
        {
            return "journal record length checksum mismatch";
        }

        if (declared == 0)
        {
            return "a journal record has length 0";
        }

        if (declared > (uint)(remaining - JournalFormat.RecordHeaderSize))
        {
            return "journal record runs past the end of the journal";
        }

        if (Crc32C.Compute(journal.AsSpan(offset + JournalFormat.RecordHeaderSize, (int)declared)) != BinaryPrimitives.ReadUInt32LittleEndian(header[8..]))
        {
            return "journal record checksum mismatch";
        }

        length = (int)declared;
        return null;
    }

    /// <summary>
    /// The end of the record at <paramref name="offset"/> as its length field declares it, when that field is intact
    /// (its checksum matches, it is not zero); <see langword="null"/> when it is not.
    /// </summary>
    private static int? DeclaredEnd(byte[] journal, int offset)
    {
        if (journal.Length - offset < 8)
        {
            return null;
        }

        var declared = BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset));
        var intact = declared != 0 && Crc32C.Compute(journal.AsSpan(offset, 4)) == BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset + 4));
        return intact ? (int)Math.Min((long)offset + JournalFormat.RecordHeaderSize + declared, int.MaxValue) : null;
    }

    /// <summary>
    /// Whether every byte of the record's payload reached the disk: an append overwrites zeros, and compact JSON never
    /// contains a zero byte, so a payload without one was written whole (a checksum failure is then damage).
    /// </summary>
    private static bool IsWhole(byte[] journal, int offset, int end) =>
        !journal.AsSpan(offset + JournalFormat.RecordHeaderSize, end - offset - JournalFormat.RecordHeaderSize).Contains((byte)0);

    /// <summary>Whether every byte is zero.</summary>
    private static bool IsAllZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
