using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Checkpointing.Json;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// A text kept as its stored JSON token (<see cref="StoredJsonString"/>): read in place when nothing is escaped,
/// unescaped into a pooled buffer otherwise, and decoded exactly as a parsed element would be.
/// </summary>
public sealed class StoredJsonStringTests
{
    [Fact]
    public void TokenWithoutEscapes_IsReadInPlace()
    {
        var token = Encoding.UTF8.GetBytes("\"caf\u00e9 plain\"");
        var stored = new StoredJsonString(token);

        var utf8 = stored.GetUtf8(out var rented);

        rented.Should().BeNull("nothing is copied");
        Unsafe.AreSame(ref MemoryMarshal.GetReference(utf8), ref token[1]).Should().BeTrue("the text is the token's own bytes");
        utf8.Length.Should().Be(token.Length - 2);
        stored.Decode().Should().Be("caf\u00e9 plain");
    }

    [Fact]
    public void TokenWithEscapes_IsUnescapedIntoAPooledBuffer()
    {
        var stored = new StoredJsonString(Encoding.UTF8.GetBytes("\"line\\none \\\"q\\\" \\u00e9\\ud83d\\ude00\""));

        var utf8 = stored.GetUtf8(out var rented);
        var text = Encoding.UTF8.GetString(utf8);
        StoredJsonString.Return(rented);

        rented.Should().NotBeNull();
        text.Should().Be("line\none \"q\" \u00e9\ud83d\ude00");
        stored.Decode().Should().Be(text);
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"a\\udc00b\"")]
    public void TokenWithALoneSurrogate_FailsToDecode_AsAParsedElementDoes(string token)
    {
        using var parsed = JsonDocument.Parse(token);
        var expected = ((Func<string?>)parsed.RootElement.GetString).Should().Throw<InvalidOperationException>().Which;
        var stored = new StoredJsonString(Encoding.UTF8.GetBytes(token));

        var decode = () => stored.Decode();

        decode.Should().Throw<InvalidOperationException>().WithMessage(expected.Message);
    }

    [Theory]
    [InlineData("\"plain\"", "plain")]
    [InlineData("\"tab\\t \\u00e9 <\\/\"", "tab\t \u00e9 </")]
    public void WriteTo_WritesAsTheWriterWritesTheText(string token, string text)
    {
        using var expected = new MemoryStream();
        using (var writer = new Utf8JsonWriter(expected))
        {
            writer.WriteStringValue(text);
        }

        using var written = new MemoryStream();
        using (var writer = new Utf8JsonWriter(written))
        {
            new StoredJsonString(Encoding.UTF8.GetBytes(token)).WriteTo(writer);
        }

        written.ToArray().Should().Equal(expected.ToArray());
    }

    [Fact]
    public void Default_IsEmpty() => default(StoredJsonString).IsEmpty.Should().BeTrue();
}
