using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Checkpointing.Json;

namespace Checkpointing.LlmCache;

/// <summary>
/// Keeps the prompts and answers of the responses a manager records as UTF-8 in a few large buffers, instead of the
/// caller's strings. A long run holds every answer it paid for (tens of MB): as strings, each young collection copied the
/// new ones into the older generations, and those copies were the pauses that landed in saves. Buffers of
/// <see cref="MaxChunkBytes"/> live on the large object heap, which the collector never copies; the caller's strings die
/// young. Texts are decoded again only when read (<see cref="LlmResponse.Prompt"/>, <see cref="LlmResponse.Response"/>),
/// and hashed and written straight from the bytes.
/// </summary>
internal sealed class ResponseTexts
{
    /// <summary>The first buffer's size: a manager that records a few short responses keeps little.</summary>
    internal const int FirstChunkBytes = 16 * 1024;

    /// <summary>The largest buffer, reached by doubling; a text longer than it gets a buffer of its own.</summary>
    internal const int MaxChunkBytes = 1024 * 1024;

    private readonly object _gate = new();
    private byte[] _chunk = [];
    private int _used;

    /// <summary>Gets the size of the buffers allocated so far, for tests.</summary>
    internal long AllocatedBytes { get; private set; }

    /// <summary>Gives <paramref name="response"/> with its texts kept here; the same object when there is nothing to keep.</summary>
    /// <param name="response">A response; one read from a store keeps its texts in the store's bytes already.</param>
    public LlmResponse Keep(LlmResponse response) => response.KeepTextsIn(this);

    /// <summary>Gives <paramref name="responses"/> with their texts kept here.</summary>
    /// <param name="responses">Responses, or <see langword="null"/>.</param>
    public IReadOnlyList<LlmResponse>? Keep(IReadOnlyList<LlmResponse>? responses)
    {
        if (responses is null || responses.Count == 0)
        {
            return responses;
        }

        var kept = new LlmResponse[responses.Count];
        for (var i = 0; i < kept.Length; i++)
        {
            kept[i] = Keep(responses[i]);
        }

        return kept;
    }

    /// <summary>
    /// Stores <paramref name="text"/> as UTF-8; the default value when it is empty, or not valid UTF-16 (a lone
    /// surrogate), which stays a string so that it is written exactly as before.
    /// </summary>
    /// <param name="text">The text.</param>
    public StoredJsonString Store(string text)
    {
        if (text.Length == 0)
        {
            return default;
        }

        var length = Encoding.UTF8.GetByteCount(text);
        lock (_gate)
        {
            if (_chunk.Length - _used < length)
            {
                NewChunk(length);
            }

            if (Utf8.FromUtf16(text, _chunk.AsSpan(_used, length), out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                return default;
            }

            var stored = StoredJsonString.FromUtf8(new ReadOnlyMemory<byte>(_chunk, _used, written));
            _used += written;
            return stored;
        }
    }

    /// <summary>Starts a new buffer for a text of <paramref name="length"/> bytes (the rest of the old one stays unused).</summary>
    private void NewChunk(int length)
    {
        var size = Math.Min(Math.Max(_chunk.Length * 2, FirstChunkBytes), MaxChunkBytes);
        _chunk = GC.AllocateUninitializedArray<byte>(Math.Max(size, length));
        _used = 0;
        AllocatedBytes += _chunk.Length;
    }
}
