using System.Buffers;
using Checkpointing.Json;

namespace Checkpointing.Folding;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that a fold serializes its new document into, in pooled segments of about a chunk
/// each: no array the size of the document, and none of the copies a growing buffer makes (serializing a 26 MB document
/// into one allocated ~120 MB in doubling buffers and its final copy, and the large-object-heap collections that cost
/// showed up as pauses of the saves running beside the fold). <see cref="Chunks"/> then gives the bytes in pieces of at
/// most the chunk size, in order.
/// </summary>
internal sealed class DocumentChunkWriter : IBufferWriter<byte>, IDisposable
{
    private readonly int _chunkBytes;
    private readonly List<(byte[] Array, int Used)> _segments = [];
    private byte[]? _current;
    private int _used;

    /// <param name="chunkBytes">The largest chunk <see cref="Chunks"/> gives, and the usual segment size.</param>
    public DocumentChunkWriter(int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        _chunkBytes = chunkBytes;
    }

    /// <summary>Serializes a checkpoint as <see cref="CheckpointJson.SerializeCheckpoint"/> does (compact), into a new writer.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="chunkBytes">The largest chunk <see cref="Chunks"/> gives.</param>
    /// <returns>The writer, which the caller disposes.</returns>
    public static DocumentChunkWriter Serialize(PipelineCheckpoint checkpoint, int chunkBytes)
    {
        var writer = new DocumentChunkWriter(chunkBytes);
        try
        {
            CheckpointJsonWriter.WriteSnapshot(writer, checkpoint, journalId: null, indented: false);
            return writer;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>Gets how many bytes were written.</summary>
    public long Length { get; private set; }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, (_current?.Length ?? 0) - _used);
        _used += count;
        Length += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).AsMemory(_used);

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).AsSpan(_used);

    /// <summary>Returns the written bytes in order, in pieces of at most the chunk size (views of the segments: use them before <see cref="Dispose"/>).</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Chunks()
    {
        foreach (var (array, used) in Segments())
        {
            for (var offset = 0; offset < used; offset += _chunkBytes)
            {
                yield return array.AsMemory(offset, Math.Min(_chunkBytes, used - offset));
            }
        }
    }

    /// <summary>Returns the segments to the pool.</summary>
    public void Dispose()
    {
        foreach (var (array, _) in Segments())
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        _segments.Clear();
        _current = null;
        _used = 0;
    }

    private IEnumerable<(byte[] Array, int Used)> Segments() =>
        _current is null ? _segments : _segments.Append((_current, _used));

    /// <summary>Returns a segment with at least <paramref name="sizeHint"/> bytes (at least one) free after <see cref="_used"/>.</summary>
    private byte[] Reserve(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var needed = Math.Max(sizeHint, 1);
        if (_current is null || _current.Length - _used < needed)
        {
            if (_current is not null)
            {
                _segments.Add((_current, _used));
            }

            _current = ArrayPool<byte>.Shared.Rent(Math.Max(_chunkBytes, needed));
            _used = 0;
        }

        return _current;
    }
}
