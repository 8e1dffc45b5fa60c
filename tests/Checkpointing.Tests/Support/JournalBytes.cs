using System.Buffers;
using System.Buffers.Binary;
using Checkpointing.Json;
using Checkpointing.FileStore;

namespace Checkpointing.Tests.Support;

/// <summary>Builds journal files byte for byte the way the file store frames them, so tests can write any state a crash leaves.</summary>
public static class JournalBytes
{
    /// <summary>One framed record: length, length checksum, payload checksum, then the change as JSON.</summary>
    public static byte[] Record(CheckpointChange change)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JournalFormat.Reserve(buffer);
        CheckpointJsonWriter.WriteChange(buffer, change);
        return JournalFormat.Seal(buffer).ToArray();
    }

    /// <summary>A journal of generation <paramref name="journalId"/>: its header, then one record per change.</summary>
    public static byte[] Journal(string journalId, IEnumerable<CheckpointChange> changes) =>
        [.. JournalFormat.CreateHeader(journalId), .. changes.SelectMany(Record)];

    /// <summary>The offset of each record in a journal built by <see cref="Journal"/> from <paramref name="changes"/>, and the end of the last.</summary>
    public static (long[] Offsets, long End) Layout(IEnumerable<CheckpointChange> changes)
    {
        var offsets = new List<long>();
        long offset = JournalFormat.HeaderSize;
        foreach (var change in changes)
        {
            offsets.Add(offset);
            offset += Record(change).Length;
        }

        return ([.. offsets], offset);
    }

    /// <summary>Stage changes at versions 2 to <paramref name="lastVersion"/> over <paramref name="start"/>, and the checkpoint after them all.</summary>
    public static (CheckpointChange[] Changes, PipelineCheckpoint Final) StageChanges(PipelineCheckpoint start, int lastVersion, DateTimeOffset at)
    {
        var checkpoint = start;
        var changes = new List<CheckpointChange>();
        for (var version = start.Version + 1; version <= lastVersion; version++)
        {
            var change = new StageRecorded(version, at.AddSeconds(version), Stages.Stage($"stage-{version}"));
            checkpoint = change.ApplyTo(checkpoint);
            changes.Add(change);
        }

        return ([.. changes], checkpoint);
    }

    /// <summary>A record with intact framing around any payload.</summary>
    public static byte[] RawRecord(ReadOnlySpan<byte> payload)
    {
        var record = new byte[JournalFormat.RecordHeaderSize + payload.Length];
        payload.CopyTo(record.AsSpan(JournalFormat.RecordHeaderSize));
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)payload.Length);
        Reseal(record, 0);
        return record;
    }

    /// <summary>Rewrites the checksums of the record at <paramref name="offset"/> to match its (changed) payload.</summary>
    public static void Reseal(byte[] journal, int offset)
    {
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset));
        BinaryPrimitives.WriteUInt32LittleEndian(journal.AsSpan(offset + 4), Crc32C.Compute(journal.AsSpan(offset, 4)));
        BinaryPrimitives.WriteUInt32LittleEndian(journal.AsSpan(offset + 8), Crc32C.Compute(journal.AsSpan(offset + JournalFormat.RecordHeaderSize, length)));
    }
}
