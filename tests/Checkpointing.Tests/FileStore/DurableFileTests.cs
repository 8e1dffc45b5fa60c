using System.Buffers;
using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// Whole-file writes either put the new content in place or leave the target and the directory as they were (no
/// temporary file behind), and a read refuses a file over the size limit before reading it.
/// </summary>
public sealed class DurableFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task ReadAll_FileUpToTheLimit_IsReadWhole(int belowLimit)
    {
        var path = _temp.Combine("f");
        var content = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        await File.WriteAllBytesAsync(path, content);

        (await DurableFile.ReadAllAsync(path, content.Length + belowLimit, CancellationToken.None)).Should().Equal(content);
    }

    [Fact]
    public async Task ReadAll_FileOverTheLimit_IsRefusedWithItsSizeAndTheLimit()
    {
        var path = _temp.Combine("f");
        await File.WriteAllBytesAsync(path, new byte[1001]);

        var error = (await FluentActions.Invoking(() => DurableFile.ReadAllAsync(path, 1000, CancellationToken.None))
            .Should().ThrowAsync<CheckpointTooLargeException>()).Which;

        error.Message.Should().Contain("1001").And.Contain("1000").And.Contain(path);
    }

    [Fact]
    public async Task ReadAll_MissingFile_IsNull_AndAnEmptyFileIsEmpty()
    {
        (await DurableFile.ReadAllAsync(_temp.Combine("missing"), 10, CancellationToken.None)).Should().BeNull();
        await File.WriteAllBytesAsync(_temp.Combine("empty"), []);
        (await DurableFile.ReadAllAsync(_temp.Combine("empty"), 10, CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task Replace_PutsTheContentInPlace_WithOwnerOnlyPermissions_AndLeavesNoTemporaryFile()
    {
        var target = _temp.Combine("doc.json");
        await File.WriteAllTextAsync(target, "old");

        await DurableFile.ReplaceAsync(target, "new content"u8.ToArray(), CancellationToken.None);
        var length = DurableFile.Replace(target, writer => writer.Write("streamed content"u8), long.MaxValue, CancellationToken.None);

        (await File.ReadAllTextAsync(target)).Should().Be("streamed content");
        length.Should().Be("streamed content".Length);
        Directory.GetFiles(_temp.Path).Should().Equal([target]);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(target).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "prompts and responses can hold secrets");
        }
    }

    [Fact]
    public async Task CancelledReplace_LeavesTheTargetAndNoTemporaryFile()
    {
        var target = _temp.Combine("doc.json");
        await File.WriteAllTextAsync(target, "old");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await FluentActions.Invoking(() => DurableFile.ReplaceAsync(target, "new"u8.ToArray(), cancelled.Token)).Should().ThrowAsync<OperationCanceledException>();
        FluentActions.Invoking(() => DurableFile.Replace(target, writer => writer.Write("new"u8), long.MaxValue, cancelled.Token)).Should().Throw<OperationCanceledException>();
        FluentActions.Invoking(() => DurableFile.Replace(target, _ => throw new IOException("disk full"), long.MaxValue, CancellationToken.None)).Should().Throw<IOException>();

        (await File.ReadAllTextAsync(target)).Should().Be("old");
        Directory.GetFiles(_temp.Path).Should().Equal([target]);
    }

    [Fact]
    public async Task CommitThatCannotRename_RemovesTheTemporaryFile()
    {
        var target = _temp.Combine("a-directory");
        Directory.CreateDirectory(target);
        var temp = await DurableFile.PrepareAsync(target, "x"u8.ToArray(), 0, CancellationToken.None);
        File.Exists(temp).Should().BeTrue();

        FluentActions.Invoking(() => DurableFile.Commit(temp, target)).Should().Throw<IOException>();

        File.Exists(temp).Should().BeFalse();
        Directory.Exists(target).Should().BeTrue();
    }

    [Fact]
    public void TryDelete_IgnoresAFileThatCannotBeDeleted()
    {
        var directory = _temp.Combine("not-empty");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "f"), "x");

        FluentActions.Invoking(() => DurableFile.TryDelete(directory)).Should().NotThrow();
        FluentActions.Invoking(() => DurableFile.TryDelete(_temp.Combine("missing", "f"))).Should().NotThrow();
    }

    [Fact]
    public void CreateDirectory_MakesEveryMissingParent_OwnerOnly()
    {
        var directory = _temp.Combine("a", "b", "c");

        DurableDirectory.Create(directory);
        DurableDirectory.Create(directory);

        Directory.Exists(directory).Should().BeTrue();
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(directory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void CreateDirectory_FsyncsTheParentOfEachDirectoryItMade_FromTheTopDown()
    {
        var synced = new List<string>();

        DurableDirectory.Create(_temp.Combine("a", "b", "c"), synced.Add);
        DurableDirectory.Create(_temp.Combine("a", "b", "c"), synced.Add);

        synced.Should().Equal([_temp.Path, _temp.Combine("a"), _temp.Combine("a", "b")], "the second call made nothing");
    }

    [Fact]
    public void AFileBeingWritten_CanBeOpenedByAReader()
    {
        var path = _temp.Combine("f");
        using var writing = DurableFile.CreateNew(path);

        FluentActions.Invoking(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete).Dispose())
            .Should().NotThrow("a writer shares its file for reading and deleting");
    }

    [Fact]
    public async Task ReadAll_OfAFileShorterThanItsLengthSaid_ReturnsWhatWasRead()
    {
        using var stream = new ShrunkStream([1, 2, 3, 4], claimedLength: 10);

        (await DurableFile.ReadAllAsync(stream, "f", 100, CancellationToken.None)).Should().Equal([1, 2, 3, 4]);
    }

    /// <summary>A file cut short between reading its length and its bytes.</summary>
    private sealed class ShrunkStream(byte[] content, long claimedLength) : MemoryStream(content)
    {
        public override long Length => claimedLength;
    }
}
