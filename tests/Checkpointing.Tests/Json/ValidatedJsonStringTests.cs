using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Checkpointing.Json;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

public sealed class ValidatedJsonStringTests
{
    private static readonly JsonSerializerOptions[] Encoders =
    [
        new() { Encoder = JavaScriptEncoder.Default },
        new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping },
    ];

    public static TheoryData<string> Texts() =>
    [
        "",
        "plain ascii, nothing to unescape",
        "line one\nline \"two\"\ttabbed\\back/slash\r\n\b\f",
        "control \u0001\u001f and DEL \u007f",
        "accents é ü ß, CJK 漢字, Hebrew שלום",
        "astral 😀 and 𝄞, between text",
        "ends with an astral 😀", // the low surrogate's escape is the string's last six bytes
        "ends with an escape\n",
        "\"",
        new string('x', 5000) + "\n" + new string('y', 3000),
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void TryUnescape_GivesTheUtf8OfTheString_WhateverTheEncoderEscaped(string text)
    {
        foreach (var options in Encoders)
        {
            var token = JsonSerializer.SerializeToUtf8Bytes(text, options);
            var destination = new byte[token.Length];

            ValidatedJsonString.TryUnescape(token, destination, out var written).Should().BeTrue();

            destination[..written].Should().Equal(Encoding.UTF8.GetBytes(text), $"escaped as {Encoding.UTF8.GetString(token)}");
        }
    }

    [Fact]
    public void TryUnescape_AgreesWithUtf8JsonReader_OnEveryEscapeForm()
    {
        var token = "\"a\\u00e9\\u00E9\\/\\\\\\\"\\ud83d\\ude00\\uD83D\\uDE00z\""u8.ToArray();
        var reader = new Utf8JsonReader(token);
        reader.Read();
        var expected = new byte[token.Length];
        var expectedLength = reader.CopyString(expected);
        var destination = new byte[token.Length];

        ValidatedJsonString.TryUnescape(token, destination, out var written).Should().BeTrue();

        destination[..written].Should().Equal(expected[..expectedLength]);
    }

    [Theory]
    [InlineData("\"lone high \\ud83d then text\"")]
    [InlineData("\"lone high at the end \\ud83d\"")]
    [InlineData("\"lone low \\ude00\"")]
    [InlineData("\"high then high \\ud83d\\ud83d\"")]
    public void TryUnescape_LoneSurrogate_DeclinesSoTheCallerDecodesTheGeneralWay(string json)
    {
        var token = Encoding.UTF8.GetBytes(json);

        ValidatedJsonString.TryUnescape(token, new byte[token.Length], out _).Should().BeFalse();
    }
}
