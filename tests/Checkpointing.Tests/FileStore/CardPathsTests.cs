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
}
