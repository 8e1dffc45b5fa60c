using Checkpointing.FileStore;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>Every path of a card is checked to be a file directly inside the checkpoint directory.</summary>
public sealed class CardPathsTests
{
    [Fact]
    public void For_FullDirectory_GivesFilesDirectlyInsideIt()
    {
        var directory = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "cards"));

        var paths = CardPaths.For(directory, "CARD-1");

        paths.Snapshot.Should().Be(Path.Combine(directory, "CARD-1.json"));
        paths.Journal.Should().Be(Path.Combine(directory, "CARD-1.journal"));
        paths.Successor.Should().Be(Path.Combine(directory, "CARD-1.journal-next"));
        paths.Lock.Should().Be(Path.Combine(directory, "CARD-1.lock"));
    }

    [Fact]
    public void For_DirectoryThatIsNotTheFilesParent_IsRefused_NamingBoth()
    {
        var act = () => CardPaths.For("cards", "CARD-1");

        act.Should().Throw<ArgumentException>()
            .WithMessage($"The card id maps to '{Path.GetFullPath("cards/CARD-1.json")}', which is outside the checkpoint directory 'cards'.*");
    }

    [Fact]
    public void TempFilesOfTheCard_AreRecognised_AndNoOtherFile()
    {
        var directory = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "cards"));
        var paths = CardPaths.For(directory, "CARD-1");
        const string Hex = "0123456789abcdef0123456789abcdef";

        foreach (var target in new[] { paths.Snapshot, paths.Journal, paths.Successor })
        {
            paths.IsTempFileOfThisCard(CardPaths.TempFor(target)).Should().BeTrue(target);
            paths.IsTempFileOfThisCard($"{target}.{Hex}.tmp").Should().BeTrue(target);
            paths.IsTempFileOfThisCard($"{target}.{Hex.ToUpperInvariant()}.tmp").Should().BeFalse("upper-case hex is not a Guid the store wrote");
            paths.IsTempFileOfThisCard($"{target}.{Hex[..31]}g.tmp").Should().BeFalse("g is not hex");
            paths.IsTempFileOfThisCard($"{target}.{Hex[..31]}.tmp").Should().BeFalse("31 hex characters");
            paths.IsTempFileOfThisCard($"{target}.{Hex}0.tmp").Should().BeFalse("33 hex characters");
            paths.IsTempFileOfThisCard($"{target}.{Hex}.tmq").Should().BeFalse("not a .tmp file");
        }

        paths.IsTempFileOfThisCard($"{paths.Lock}.{Hex}.tmp").Should().BeFalse("the lock file is never written through a temporary file");
        paths.IsTempFileOfThisCard(CardPaths.TempFor(CardPaths.For(directory, "CARD-10").Snapshot)).Should().BeFalse("another card whose id starts with this one's");
        paths.IsTempFileOfThisCard(CardPaths.TempFor(CardPaths.For(directory, "CARD").Journal)).Should().BeFalse("another card whose id this one's starts with");
    }
}
