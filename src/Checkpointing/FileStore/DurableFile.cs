using System.Buffers;

namespace Checkpointing.FileStore;

/// <summary>Crash-safe whole-file writes: temp file in the same directory, fsync, rename over the target, fsync the directory.</summary>
internal static class DurableFile
{
    /// <summary>Creates a file that only its owner can read and write (prompts and responses can hold secrets).</summary>
    /// <param name="path">The file.</param>
    /// <param name="preallocationSize">Bytes of disk to reserve without changing the file's length (0 for none).</param>
    public static FileStream CreateNew(string path, long preallocationSize = 0)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 0,
            PreallocationSize = preallocationSize,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    /// <summary>
    /// Replaces <paramref name="target"/> with <paramref name="content"/> atomically and durably: after a crash at any
    /// instant the target holds the old or the new content, never a mix. On failure (a full disk, say) the target is untouched.
    /// </summary>
    /// <param name="target">The file to replace.</param>
    /// <param name="content">The new content.</param>
    /// <param name="cancellationToken">Cancels the write (the target is then untouched).</param>
    public static async Task ReplaceAsync(string target, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var temp = await PrepareAsync(target, content, 0, cancellationToken).ConfigureAwait(false);
        Commit(temp, target);
    }

    /// <summary>
    /// Writes the future content of <paramref name="target"/> to a durable temporary file beside it, for
    /// <see cref="Commit"/> to put in place. Nothing is left behind on failure.
    /// </summary>
    /// <param name="target">The file that will be replaced.</param>
    /// <param name="content">The new content.</param>
    /// <param name="preallocationSize">Bytes of disk to reserve for later appends without changing the length (0 for none).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The temporary file.</returns>
    public static async Task<string> PrepareAsync(string target, ReadOnlyMemory<byte> content, long preallocationSize, CancellationToken cancellationToken)
    {
        var temp = CardPaths.TempFor(target);
        try
        {
            var stream = CreateNew(temp, preallocationSize);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);

                // Stryker disable once Statement,Boolean : an fsync; only a power cut shows it
                stream.Flush(flushToDisk: true);
            }

            return temp;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Replaces <paramref name="target"/>, like <see cref="ReplaceAsync"/>, with what <paramref name="write"/> writes,
    /// streamed to the temporary file in chunks instead of built in memory first.
    /// </summary>
    /// <param name="target">The file to replace.</param>
    /// <param name="write">Writes the new content.</param>
    /// <param name="maxBytes">The most the new content may hold: beyond it the target is left untouched.</param>
    /// <param name="cancellationToken">Cancels the replacement before the rename (the target is then untouched).</param>
    /// <param name="retired">Keeps the replaced file for its owner to free later; <see langword="null"/> frees it now.</param>
    /// <returns>The length of the new content.</returns>
    /// <exception cref="CheckpointTooLargeException">The new content is over <paramref name="maxBytes"/>.</exception>
    public static long Replace(
        string target, Action<IBufferWriter<byte>> write, long maxBytes, CancellationToken cancellationToken, RetiredFiles? retired = null)
    {
        var temp = CardPaths.TempFor(target);
        long length;
        try
        {
            using (var stream = CreateNew(temp))
            {
                using var writer = new FileBufferWriter(stream);
                write(writer);
                writer.Flush();
                length = stream.Length;
                if (length > maxBytes)
                {
                    throw CheckpointTooLargeException.ForWrite(target, length, maxBytes);
                }

                // Stryker disable once Statement,Boolean : an fsync; only a power cut shows it
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        Commit(temp, target, retired);
        return length;
    }

    /// <summary>Renames a prepared temporary file over its target and makes the rename durable.</summary>
    /// <param name="temp">The file from <see cref="PrepareAsync"/>.</param>
    /// <param name="target">The file to replace.</param>
    /// <param name="retired">Keeps the replaced file for its owner to free later; <see langword="null"/> frees it now.</param>
    public static void Commit(string temp, string target, RetiredFiles? retired = null)
    {
        try
        {
            RenameOver(temp, target, retired);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Renames <paramref name="source"/> over <paramref name="target"/> and makes the rename durable. The file it replaces
    /// keeps its disk space under a second name (<see cref="RetiredFile"/>), to be freed a step at a time, so that appends
    /// beside it never wait for all of it at once: now, or later by the owner of <paramref name="retired"/>.
    /// </summary>
    /// <param name="source">The file to put in place.</param>
    /// <param name="target">The file to replace.</param>
    /// <param name="retired">Keeps the replaced file for its owner to free later; <see langword="null"/> frees it now.</param>
    public static void RenameOver(string source, string target, RetiredFiles? retired = null)
    {
        var old = RetiredFile.Keep(target);
        try
        {
            File.Move(source, target, overwrite: true);
        }
        catch
        {
            old?.Abandon();
            throw;
        }

        retired?.Add(old);

        // Stryker disable once Statement : an fsync; only a power cut shows it
        PosixFileSync.SyncDirectory(Path.GetDirectoryName(target)!);
        if (retired is null)
        {
            old?.Release();
        }
    }

    /// <summary>
    /// Deletes <paramref name="path"/> if it exists; its disk space is kept (<see cref="RetiredFile"/>) for the owner of
    /// <paramref name="retired"/> to free a step at a time once it has made the deletion durable.
    /// </summary>
    /// <param name="path">The file to delete.</param>
    /// <param name="retired">Keeps the deleted file's space.</param>
    public static void Delete(string path, RetiredFiles retired)
    {
        var old = RetiredFile.Keep(path);
        try
        {
            File.Delete(path);
        }
        catch
        {
            old?.Abandon();
            throw;
        }

        retired.Add(old);
    }

    /// <summary>Reads a whole file, refusing one over <paramref name="maxBytes"/>; <see langword="null"/> when it does not exist.</summary>
    /// <remarks>
    /// Not an async method itself: the one that reads is, so a resume's read suspends one state machine here, not two
    /// (each distinct one costs a fresh process JIT work before its first resume).
    /// </remarks>
    public static Task<byte[]?> ReadAllAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        if (MissingFile.IsMissing(path))
        {
            return Task.FromResult<byte[]?>(null);
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<byte[]?>(null); // removed since the check above, or on Windows
        }

        return ReadAllAsync(stream, path, maxBytes, cancellationToken);
    }

    /// <summary>
    /// Reads <paramref name="stream"/> (the file <paramref name="path"/>) to its end and disposes it, refusing one over
    /// <paramref name="maxBytes"/>; returns what could be read when the file turns out shorter than its length said.
    /// </summary>
    internal static async Task<byte[]?> ReadAllAsync(Stream stream, string path, long maxBytes, CancellationToken cancellationToken)
    {
        await using (stream.ConfigureAwait(false))
        {
            var length = stream.Length;
            if (length > maxBytes)
            {
                throw new CheckpointTooLargeException(path, length, maxBytes);
            }

            var buffer = GC.AllocateUninitializedArray<byte>((int)length);
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            Array.Resize(ref buffer, read); // a file cut short since its length was read: what is there (the same array when whole)
            return buffer;
        }
    }

    /// <summary>Deletes a file if it exists, ignoring errors (used to clean up after a failed write).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
