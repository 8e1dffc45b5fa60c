using System.Text.Json;

namespace Checkpointing.Json;

/// <summary>Where a document being read came from, so every error names the file, the offset and the field.</summary>
/// <param name="File">The file or store location.</param>
/// <param name="Offset">The byte offset of the document within the file (journal records), when it is not 0.</param>
/// <param name="DeferResponseText">
/// Whether LLM texts (prompts and responses) stay undecoded in the input bytes (which are then kept alive by them) until
/// first read. Only for input the reader owns: the bytes must never change afterwards.
/// </param>
internal readonly record struct JsonReadContext(string File, long? Offset = null, bool DeferResponseText = false)
{
    /// <summary>Gets the LLM texts cut out of the document being read, when its skeleton is what was parsed.</summary>
    public LlmTextSkeleton? Texts { get; init; }

    /// <summary>Creates the error for a field whose value is not what the format allows.</summary>
    public CheckpointCorruptedException Corrupt(string field, string problem) =>
        new(File, Offset, $"{field}: {problem}");

    /// <summary>Creates the error for a value that could not be read (a decode or range failure of the JSON layer).</summary>
    public CheckpointCorruptedException Unreadable(string field, Exception error) =>
        new(File, Offset, $"{field}: cannot be read ({error.GetType().Name}: {error.Message})", error);

    /// <summary>Creates the error for a field of the wrong JSON type.</summary>
    public CheckpointCorruptedException WrongType(string field, string expected, JsonElement found) =>
        Corrupt(field, $"expected {expected}, found {found.ValueKind}");
}
