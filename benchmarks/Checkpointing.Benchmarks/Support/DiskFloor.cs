using Checkpointing.FileStore;

namespace Checkpointing.Benchmarks.Support;

/// <summary>
/// The same bytes written durably with nothing around them: what a durable save cannot beat. Both primitives are the
/// ones the file store builds on (<see cref="FileStream.Flush(bool)"/>, <see cref="PosixFileSync"/>).
/// </summary>
internal sealed class DiskFloor : IDisposable
{
    private readonly string _directory;
    private readonly string _target;
    private readonly string _temp;
    private readonly FileStream _log;
    private long _logOffset;

    /// <summary>Creates the floor's files in <paramref name="directory"/>, which should be on the store's file system.</summary>
    public DiskFloor(string directory)
    {
        _directory = directory;
        _target = Path.Combine(directory, "floor.json");
        _temp = _target + ".tmp";
        _log = new FileStream(Path.Combine(directory, "floor.log"), FileMode.Create, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
    }

    /// <summary>Writes a temp file, fsyncs it, renames it over the target and fsyncs the directory.</summary>
    public void Replace(ReadOnlySpan<byte> content)
    {
        using (var stream = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(_temp, _target, overwrite: true);
        PosixFileSync.SyncDirectory(_directory);
    }

    /// <summary>Appends to a file kept open and fdatasyncs it, as the journal does.</summary>
    public void Append(ReadOnlySpan<byte> content)
    {
        RandomAccess.Write(_log.SafeFileHandle, content, _logOffset);
        PosixFileSync.DataSync(_log);
        _logOffset += content.Length;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> zeros to the appended file, fsyncs it and starts the appends over again from its
    /// start: they then overwrite zeros and change no metadata, as the journal's do (it zero-fills ahead).
    /// </summary>
    public void ZeroFill(long bytes)
    {
        var zeros = new byte[1 << 20];
        for (long offset = 0; offset < bytes; offset += zeros.Length)
        {
            RandomAccess.Write(_log.SafeFileHandle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, bytes - offset)), offset);
        }

        _log.Flush(flushToDisk: true);
        _logOffset = 0;
    }

    /// <inheritdoc/>
    public void Dispose() => _log.Dispose();
}
