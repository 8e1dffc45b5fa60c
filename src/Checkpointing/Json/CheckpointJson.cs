using Checkpointing.Json;
using Checkpointing.Models;

namespace Checkpointing;

/// <summary>
/// The library's JSON format, for stores that keep documents and changes as JSON (SQLite, PostgreSQL, object storage):
/// the snake_case checkpoint document the Python manager reads, and one compact JSON object per change.
/// </summary>
/// <remarks>Reading is strict: a malformed input raises <see cref="CheckpointCorruptedException"/> naming <c>source</c>.</remarks>
public static class CheckpointJson
{
    /// <summary>Gets the newest schema version this library writes and reads.</summary>
    public static int SchemaVersion => CheckpointJsonNames.CurrentSchemaVersion;

    /// <summary>
    /// Gets the stored spelling of a status (<c>active</c>, <c>paused</c>, ...), for stores that keep it in a column of
    /// its own beside the document.
    /// </summary>
    /// <param name="status">The status.</param>
    /// <returns>The lower-case name the document holds.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined status.</exception>
    public static string StatusName(CheckpointStatus status) => StatusNames.Of(status);

    /// <summary>Serializes a whole checkpoint as UTF-8 JSON.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="indented">Whether to indent the output for people to read.</param>
    /// <returns>The UTF-8 bytes.</returns>
    public static byte[] SerializeCheckpoint(PipelineCheckpoint checkpoint, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var buffer = SerializationBuffer.Take();
        try
        {
            CheckpointJsonWriter.WriteSnapshot(buffer, checkpoint, journalId: null, indented);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            SerializationBuffer.Return(buffer);
        }
    }

    /// <summary>Reads a whole checkpoint.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="source">Where it came from (a file, a table and key), named in errors.</param>
    /// <returns>The checkpoint.</returns>
    /// <exception cref="CheckpointCorruptedException">The JSON is malformed or a field has the wrong type.</exception>
    /// <exception cref="CheckpointVersionException">The document has a newer schema version.</exception>
    public static PipelineCheckpoint DeserializeCheckpoint(ReadOnlyMemory<byte> utf8Json, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return CheckpointJsonReader.ReadSnapshot(utf8Json, new JsonReadContext(source)).Checkpoint;
    }

    /// <summary>
    /// Reads a whole checkpoint from a buffer the store hands over for good, as the file store reads its snapshot: the LLM
    /// texts stay in <paramref name="utf8Json"/> (checked, and decoded only when read), so a large document costs one
    /// parse of its skeleton instead of tens of MB of strings.
    /// </summary>
    /// <param name="utf8Json">The UTF-8 JSON, in an array nobody changes or reuses afterwards.</param>
    /// <param name="source">Where it came from, named in errors.</param>
    /// <returns>The checkpoint.</returns>
    internal static PipelineCheckpoint DeserializeStoredCheckpoint(byte[] utf8Json, string source) =>
        CheckpointJsonReader.ReadSnapshot(utf8Json, new JsonReadContext(source, DeferResponseText: true)).Checkpoint;

    /// <summary>Reads one change from a buffer the store hands over for good (see <see cref="DeserializeStoredCheckpoint"/>).</summary>
    /// <param name="utf8Json">The UTF-8 JSON, in an array nobody changes or reuses afterwards.</param>
    /// <param name="source">Where it came from, named in errors.</param>
    /// <returns>The change.</returns>
    internal static CheckpointChange DeserializeStoredChange(byte[] utf8Json, string source) =>
        ChangeJsonReader.Read(utf8Json, new JsonReadContext(source, DeferResponseText: true));

    /// <summary>
    /// Applies a change read back from a store to the state it was made against, checking that the library could have
    /// written it there: it produces the next version, the run was not completed before it, and its durations add up.
    /// </summary>
    /// <param name="checkpoint">The stored state before the change.</param>
    /// <param name="change">The change, as read with <see cref="DeserializeChange"/>.</param>
    /// <param name="source">Where the change came from (a table and key), named in errors.</param>
    /// <returns>The state after the change.</returns>
    /// <exception cref="CheckpointCorruptedException">The change cannot follow <paramref name="checkpoint"/>.</exception>
    public static PipelineCheckpoint ApplyStoredChange(PipelineCheckpoint checkpoint, CheckpointChange change, string source)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(source);
        return StoredChange.Apply(checkpoint, change, source, offset: null);
    }

    /// <summary>Serializes one change as compact UTF-8 JSON.</summary>
    /// <param name="change">The change.</param>
    /// <returns>The UTF-8 bytes.</returns>
    public static byte[] SerializeChange(CheckpointChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var buffer = SerializationBuffer.Take();
        try
        {
            CheckpointJsonWriter.WriteChange(buffer, change);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            SerializationBuffer.Return(buffer);
        }
    }

    /// <summary>Reads one change.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="source">Where it came from, named in errors.</param>
    /// <returns>The change.</returns>
    /// <exception cref="CheckpointCorruptedException">The JSON is malformed or not a known change.</exception>
    public static CheckpointChange DeserializeChange(ReadOnlyMemory<byte> utf8Json, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ChangeJsonReader.Read(utf8Json, new JsonReadContext(source));
    }
}
