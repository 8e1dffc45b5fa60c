using System.Buffers;

namespace Checkpointing.FileStore;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that writes to a file through one pooled chunk, so that a document of tens of
/// megabytes is serialized straight to its file: no buffer the size of the document (a large-object-heap allocation that
/// costs a gen-2 collection and zeroing), whatever the document's size.
/// </summary>
internal sealed class FileBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int ChunkSize = 1 << 20;

    private readonly FileStream _file;
    private byte[] _chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _used;

    /// <summary>Initializes a new instance of the <see cref="FileBufferWriter"/> class.</summary>
    /// <param name="file">The file, written from its current position.</param>
    public FileBufferWriter(FileStream file) => _file = file;

    /// <summary>Gets the bytes written so far, flushed or not.</summary>
    public long Written => _file.Position + _used;

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _chunk.Length - _used);
        _used += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0) => _chunk.AsMemory(Reserve(sizeHint));

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => _chunk.AsSpan(Reserve(sizeHint));

    /// <summary>Writes what is buffered to the file.</summary>
    public void Flush()
    {
        _file.Write(_chunk, 0, _used);
        _used = 0;
    }

    /// <summary>Returns the chunk to the pool; call <see cref="Flush"/> first to keep what it holds.</summary>
    public void Dispose()
    {
        if (_chunk.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = [];
        }
    }

    private int Reserve(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_chunk.Length - _used < sizeHint)
        {
            Flush();
            if (_chunk.Length < sizeHint)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = ArrayPool<byte>.Shared.Rent(sizeHint);
            }
        }

        return _used;
    }
}
