using System.Buffers;

namespace Checkpointing.FileStore;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that writes to a file through one pooled chunk, so that a document of tens of
/// megabytes is serialized straight to its file: no buffer the size of the document (a large-object-heap allocation that
/// costs a gen-2 collection and zeroing), whatever the document's size. Each full chunk is written to the device
/// (<see cref="PosixFileSync.WriteOut"/>) before the next is filled, so the file never has more than one chunk of dirty
/// data in the page cache: a journal append's fdatasync running beside it waits for one chunk at most, not for tens of
/// megabytes flushed by the final fsync (ext4 in <c>data=ordered</c> mode, and the disk's cache flush, make it wait for
/// whatever is being written). The caller still fsyncs the file at the end.
/// </summary>
internal sealed class FileBufferWriter : IBufferWriter<byte>, IDisposable
{
    /// <summary>The bytes written out at a time: about 4 journal records of the Python workload.</summary>
    public const int ChunkSize = 256 << 10;

    private readonly FileStream _file;
    private byte[] _chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _used;

    /// <summary>Initializes a new instance of the <see cref="FileBufferWriter"/> class.</summary>
    /// <param name="file">The file, written from its current position.</param>
    public FileBufferWriter(FileStream file) => _file = file;

    /// <summary>Gets how many chunks were written out to the device so far.</summary>
    public int ChunksWrittenOut { get; private set; }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _chunk.Length - _used);
        _used += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var offset = Reserve(sizeHint); // first: it may replace the chunk with a bigger one
        return _chunk.AsMemory(offset);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var offset = Reserve(sizeHint);
        return _chunk.AsSpan(offset);
    }

    /// <summary>Writes what is buffered to the file and on to the device (not durably: the caller fsyncs at the end).</summary>
    public void Flush()
    {
        if (_used == 0)
        {
            return;
        }

        var offset = _file.Position;
        _file.Write(_chunk, 0, _used);
        PosixFileSync.WriteOut(_file, offset, _used);
        _used = 0;
        ChunksWrittenOut++;
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
