using System.Buffers.Binary;
using System.Runtime.ExceptionServices;

namespace Checkpointing;

/// <summary>
/// Replays a journal over its snapshot. A torn or corrupt last record (a crash mid-append) is cut off; a bad record
/// with intact data after it is corruption, reported with the file and offset.
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
            return new JournalState(snapshot.Checkpoint, ValidLength: 0, FileLength: 0, IsCurrent: false, Records: 0);
        }

        var id = JournalFormat.ReadHeader(journal, path);
        if (id is null || snapshot.JournalId is null || !string.Equals(id, snapshot.JournalId, StringComparison.Ordinal))
        {
            // A journal of an earlier generation: the snapshot already holds everything it recorded.
            return new JournalState(snapshot.Checkpoint, 0, journal.Length, IsCurrent: false, Records: 0);
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
                changes[i] = ChangeJsonReader.Read(
                    journal.AsMemory(offset + JournalFormat.RecordHeaderSize, length), new JsonReadContext(path, offset, DeferResponseText: true));
            }
            catch (CheckpointException ex)
            {
                errors[i] = ex;
            }
        }

        if (records.Count >= ParallelParseThreshold)
        {
            Parallel.For(0, records.Count, Parse);
        }
        else
        {
            for (var i = 0; i < records.Count; i++)
            {
                Parse(i);
            }
        }

        var checkpoint = snapshot.Checkpoint;
        for (var i = 0; i < records.Count; i++)
        {
            if (errors[i] is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            var change = changes[i]!;
            if (change.Version != checkpoint.Version + 1)
            {
                throw new CheckpointCorruptedException(
                    path, records[i].Offset, $"journal record has version {change.Version}; expected {checkpoint.Version + 1}");
            }

            checkpoint = change.ApplyTo(checkpoint);
        }

        if (framingError is not null)
        {
            ExceptionDispatchInfo.Throw(framingError);
        }

        return new JournalState(checkpoint, validLength, journal.Length, IsCurrent: true, records.Count);
    }

    /// <summary>Finds the records whose framing and checksums are intact; returns the offset just past the last one.</summary>
    private static int Frame(byte[] journal, string path, List<(int Offset, int Length)> records)
    {
        var offset = JournalFormat.HeaderSize;
        while (offset < journal.Length)
        {
            var remaining = journal.Length - offset;
            if (remaining < JournalFormat.RecordHeaderSize)
            {
                break; // torn record header
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset));
            var lengthChecksum = BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset + 4));
            var checksum = BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset + 8));
            if (Crc32C.Compute(journal.AsSpan(offset, 4)) != lengthChecksum)
            {
                if (IsAllZero(journal.AsSpan(offset)))
                {
                    break; // a zero-filled tail: the file grew but the record's bytes never reached the disk
                }

                throw new CheckpointCorruptedException(path, offset, "journal record length checksum mismatch");
            }

            if (length == 0)
            {
                throw new CheckpointCorruptedException(path, offset, "a journal record has length 0");
            }

            if (length > remaining - JournalFormat.RecordHeaderSize)
            {
                break; // the last record was cut short by a crash mid-append: its length is intact, its payload is not all there
            }

            var end = offset + JournalFormat.RecordHeaderSize + (int)length;
            if (Crc32C.Compute(journal.AsSpan(offset + JournalFormat.RecordHeaderSize, (int)length)) != checksum)
            {
                if (end == journal.Length || IsAllZero(journal.AsSpan(end)))
                {
                    break; // the last record was not fully written
                }

                throw new CheckpointCorruptedException(path, offset, "journal record checksum mismatch before the end of the journal");
            }

            records.Add((offset, (int)length));
            offset = end;
        }

        return offset;
    }

    private static bool IsAllZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
