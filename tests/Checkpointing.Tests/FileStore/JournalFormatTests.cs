using System.Text;
using Checkpointing.FileStore;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>The journal header: magic and generation id, and the successor id derived from a generation's id.</summary>
public sealed class JournalFormatTests
{
    [Fact]
    public void SuccessorId_IsDerivedFromTheJournalId_AsEveryVersionDerivesIt() =>
        JournalFormat.SuccessorId("0123456789abcdef0123456789abcdef").Should().Be("5090405af9f26d1591166ad764506ca3",
            "a successor file written by one version must be recognised by another: SHA-256 of \"successor of <id>\", first 16 bytes in hex");

    [Theory]
    [InlineData("abc")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    public void CreateHeader_IdThatIsNot32Characters_IsRefused(string id)
    {
        var act = () => JournalFormat.CreateHeader(id);

        act.Should().Throw<ArgumentException>().WithMessage("A journal id is 32 hex characters.*").WithParameterName("journalId");
    }

    [Fact]
    public void ReadHeader_FileThatIsNotAJournal_IsRefusedAtItsFirstByte()
    {
        var file = Encoding.ASCII.GetBytes("CKPTJRN2" + JournalFormat.NewId());

        var act = () => JournalFormat.ReadHeader(file, "/cards/x.journal");

        var error = act.Should().Throw<CheckpointCorruptedException>().Which;
        error.Offset.Should().Be(0);
        error.Path.Should().Be("/cards/x.journal");
        error.Message.Should().Contain("not a checkpoint journal (bad magic)");
    }

    [Fact]
    public void ReadHeader_GivesTheIdOfAHeaderItCreated()
    {
        var id = JournalFormat.NewId();

        JournalFormat.ReadHeader(JournalFormat.CreateHeader(id), "x").Should().Be(id);
        JournalFormat.ReadHeader(JournalFormat.CreateHeader(id).AsSpan(..^1), "x").Should().BeNull("a header cut short is a torn create");
    }
}
