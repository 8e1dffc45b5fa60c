namespace Checkpointing.PostgreSql;

/// <summary>
/// Puts a folded document back together from its chunks (rows of <c>checkpoint_document_chunks</c>), read in chunk order:
/// each must be the next one and fit in the size the card's row gives, and at the end the count and the size must be the
/// row's. Anything else (a chunk missing, out of order, one too many, a size that does not add up) is a
/// <see cref="CheckpointCorruptedException"/> naming the generation.
/// </summary>
internal sealed class ChunkedDocument
{
    private readonly long _generation;
    private readonly long _chunks;
    private readonly string _source;
    private long _next;
    private long _filled;

    /// <param name="generation">The document's generation, for messages.</param>
    /// <param name="chunks">How many chunks the card's row says the document has.</param>
    /// <param name="bytes">How many bytes the card's row says the document has.</param>
    /// <param name="source">Where the document is, for messages.</param>
    /// <exception cref="CheckpointCorruptedException">The size is out of range.</exception>
    public ChunkedDocument(long generation, long chunks, long bytes, string source)
    {
        _generation = generation;
        _chunks = chunks;
        _source = source;
        if (bytes < 0 || bytes > Array.MaxLength)
        {
            throw new CheckpointCorruptedException(source, null, $"the card row gives document generation {generation} a size of {bytes} bytes, which is out of range");
        }

        Buffer = new byte[bytes];
    }

    /// <summary>Gets the document's bytes, filled chunk by chunk.</summary>
    public byte[] Buffer { get; }

    /// <summary>Makes room for the next chunk.</summary>
    /// <param name="chunk">The chunk's number, as stored.</param>
    /// <param name="length">Its length in bytes.</param>
    /// <returns>The offset in <see cref="Buffer"/> to copy the chunk to.</returns>
    /// <exception cref="CheckpointCorruptedException">The chunk is not the next one, or it overruns the document's size.</exception>
    public int Reserve(long chunk, long length)
    {
        if (chunk != _next || _next >= _chunks || length > Buffer.Length - _filled)
        {
            throw new CheckpointCorruptedException(
                _source,
                null,
                $"chunk {chunk} of document generation {_generation} is not the expected chunk {_next} of {_chunks}, or its {length} bytes overrun the document's {Buffer.Length}");
        }

        var offset = (int)_filled;
        _filled += length;
        _next++;
        return offset;
    }

    /// <summary>Returns the document once every chunk was read.</summary>
    /// <exception cref="CheckpointCorruptedException">Chunks are missing, or their sizes do not add up to the document's.</exception>
    public byte[] Complete()
    {
        if (_next != _chunks || _filled != Buffer.Length)
        {
            throw new CheckpointCorruptedException(
                _source,
                null,
                $"document generation {_generation} has {_next} chunks and {_filled} bytes; the card row says {_chunks} chunks and {Buffer.Length} bytes");
        }

        return Buffer;
    }
}
