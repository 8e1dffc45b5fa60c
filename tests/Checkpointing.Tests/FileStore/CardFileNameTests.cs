using Checkpointing.FileStore;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

public sealed class CardFileNameTests
{
    [Theory]
    [InlineData("CARD-1")]
    [InlineData("card_2.v3")]
    [InlineData("a")]
    public void ToBaseName_PlainId_IsUsedAsIs(string id) => CardFileName.ToBaseName(id).Should().Be(id);

    [Theory]
    [InlineData("../x", "~%2E%2E%2Fx")]
    [InlineData("a/b", "~a%2Fb")]
    [InlineData("..", "~%2E%2E")]
    [InlineData(".", "~%2E")]
    [InlineData("CON", "~CON")]
    [InlineData("con.txt", "~con%2Etxt")]
    [InlineData("café", "~caf%C3%A9")]
    [InlineData("~x", "~%7Ex")]
    [InlineData("trailing.", "~trailing%2E")]
    public void ToBaseName_OtherIds_AreEscaped(string id, string expected) => CardFileName.ToBaseName(id).Should().Be(expected);

    [Theory]
    [InlineData("../x")]
    [InlineData("café")]
    [InlineData("a b/c\\d:e*f?g")]
    [InlineData("CON")]
    public void TryFromBaseName_EscapedName_GivesTheIdBack(string id) =>
        CardFileName.TryFromBaseName(CardFileName.ToBaseName(id)).Should().Be(id);

    [Fact]
    public void ToBaseName_LongId_IsHashedAndShort()
    {
        var id = new string('x', 1000);

        var name = CardFileName.ToBaseName(id);

        name.Should().StartWith("~~").And.HaveLength(66);
        CardFileName.IsHashed(name).Should().BeTrue();
        CardFileName.TryFromBaseName(name).Should().BeNull();
    }

    [Fact]
    public void ToBaseName_NfcAndNfdForms_AreDistinct() =>
        CardFileName.ToBaseName("caf\u00e9").Should().NotBe(CardFileName.ToBaseName("cafe\u0301"));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    [InlineData("\u0007")]
    public void Validate_UnstorableId_ThrowsArgumentException(string id)
    {
        var act = () => CardFileName.ToBaseName(id);

        act.Should().Throw<ArgumentException>().WithParameterName("cardId");
    }

    [Fact]
    public void Validate_UnpairedSurrogate_ThrowsArgumentException()
    {
        var act = () => CardFileName.ToBaseName("a\ud800b");

        act.Should().Throw<ArgumentException>().WithMessage("*surrogate*");
    }
}
