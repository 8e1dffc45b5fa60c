using System.Buffers;
using Checkpointing.FileStore;
using Checkpointing.Json;

namespace Checkpointing.Benchmarks.Support;

/// <summary>The exact bytes the file store appends for a change, so disk floors write as much as the store does.</summary>
internal static class JournalRecord
{
    /// <summary>Frames <paramref name="change"/> as a journal record: length, CRC-32C, compact JSON payload.</summary>
    public static byte[] Of(CheckpointChange change)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        JournalFormat.Reserve(buffer);
        CheckpointJsonWriter.WriteChange(buffer, change);
        return JournalFormat.Seal(buffer).ToArray();
    }
}
