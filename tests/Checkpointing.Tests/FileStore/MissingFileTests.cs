using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// Only a file that certainly does not exist is reported missing (and then read as absent without an exception); a
/// directory, or a path that cannot be looked up for another reason, is left to the open, which reports it as before.
/// </summary>
public sealed class MissingFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void IsMissing_OnlyForAPathWithNothingThere()
    {
        var file = _temp.Combine("f");
        File.WriteAllBytes(file, [1]);
        Directory.CreateDirectory(_temp.Combine("d"));

        MissingFile.IsMissing(_temp.Combine("missing")).Should().Be(!OperatingSystem.IsWindows(), "Windows always leaves it to the open");
        MissingFile.IsMissing(file).Should().BeFalse();
        MissingFile.IsMissing(_temp.Combine("d")).Should().BeFalse("a directory is there: the open reports it");
        MissingFile.IsMissing(Path.Combine(file, "below-a-file")).Should().BeFalse("not ENOENT but ENOTDIR: the open reports it");
    }

    [Fact]
    public async Task ReadAll_OfADirectory_StillFailsAsTheOpenReportsIt()
    {
        Directory.CreateDirectory(_temp.Combine("d"));

        await FluentActions.Invoking(() => DurableFile.ReadAllAsync(_temp.Combine("d"), 10, CancellationToken.None))
            .Should().ThrowAsync<UnauthorizedAccessException>();
    }
}
