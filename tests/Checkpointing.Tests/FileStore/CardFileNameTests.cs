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

    /// <summary>Every Windows device name, which no file may be called whatever its extension or case.</summary>
    public static TheoryData<string> DeviceNames() =>
    [
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];

    [Theory]
    [MemberData(nameof(DeviceNames))]
    public void ToBaseName_DeviceName_IsEscapedInAnyCaseAndWithAnyExtension(string device)
    {
        foreach (var id in new[] { device, device.ToLowerInvariant(), device + ".v2", device.ToLowerInvariant() + ".txt" })
        {
            CardFileName.ToBaseName(id).Should().StartWith("~", id);
            CardFileName.TryFromBaseName(CardFileName.ToBaseName(id)).Should().Be(id);
        }

        if (!device.EndsWith('$'))
        {
            // (CONIN$ and CONOUT$ are escaped for their '$' already.)
            CardFileName.ToBaseName(device + "0").Should().Be(device + "0", "only the device name itself is reserved");
            CardFileName.ToBaseName("X." + device).Should().Be("X." + device, "a device name after the first dot is a plain extension");
        }
    }

    [Theory]
    [InlineData(".hidden")]
    [InlineData("-x")]
    [InlineData("_x")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("a+b")]
    [InlineData("é1")]
    [InlineData("1é")]
    public void ToBaseName_IdThatIsNotPlain_IsEscapedAndReadBack(string id)
    {
        var name = CardFileName.ToBaseName(id);

        name.Should().StartWith("~").And.NotStartWith("~~");
        CardFileName.TryFromBaseName(name).Should().Be(id);
        CardFileName.TryFromBaseName(id).Should().BeNull("an id that is not plain is never a base name as it is");
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("A_b-C.9")]
    [InlineData("9")]
    public void TryFromBaseName_PlainName_IsTheId(string name) => CardFileName.TryFromBaseName(name).Should().Be(name);

    [Fact]
    public void ToBaseName_PlainIdUpToMaxPlainLength_IsUsedAsIs_AndALongerOneIsHashed()
    {
        var longest = new string('a', CardFileName.MaxPlainLength);

        CardFileName.ToBaseName(longest).Should().Be(longest);
        CardFileName.ToBaseName(longest + "a").Should().StartWith("~~");
        CardFileName.TryFromBaseName(longest + "a").Should().BeNull("no plain name is longer than MaxPlainLength");
    }

    [Fact]
    public void ToBaseName_EscapedNameUpToMaxPlainLength_IsKept_AndALongerOneIsHashed()
    {
        var fits = "a/" + new string('b', CardFileName.MaxPlainLength - 5); // "~a%2Fbbb...": exactly MaxPlainLength
        CardFileName.ToBaseName(fits).Should().HaveLength(CardFileName.MaxPlainLength).And.StartWith("~a%2F");
        CardFileName.ToBaseName(fits + "b").Should().StartWith("~~").And.HaveLength(66);
        CardFileName.ToBaseName(fits + "b").Should().Be(
            "~~" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(fits + "b"))).ToLowerInvariant());
    }

    [Theory]
    [InlineData("~%4")]
    [InlineData("~a%")]
    [InlineData("~%zz")]
    [InlineData("~%FF")]
    [InlineData("~%C3")]
    [InlineData("~café")]
    [InlineData("~%C2\u0080")]
    public void TryFromBaseName_MalformedEscapedName_IsNull(string name) => CardFileName.TryFromBaseName(name).Should().BeNull();

    [Fact]
    public void TryFromBaseName_EscapedNameWithLowerCaseHex_IsRead() => CardFileName.TryFromBaseName("~a%2fb%c3%a9").Should().Be("a/bé");

    /// <summary>Every other character than ASCII letters, digits, '_' and '-' is escaped, byte by byte of its UTF-8 form.</summary>
    [Theory]
    [InlineData("a$", "~a%24")]
    [InlineData("CONIN$", "~CONIN%24")]
    [InlineData("z\u00ff", "~z%C3%BF")]
    public void ToBaseName_EveryOtherByte_IsEscaped(string id, string expected)
    {
        CardFileName.ToBaseName(id).Should().Be(expected);
        CardFileName.TryFromBaseName(expected).Should().Be(id);
    }
}
