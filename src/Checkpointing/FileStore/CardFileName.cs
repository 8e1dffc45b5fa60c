using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace Checkpointing.FileStore;

/// <summary>
/// Maps a card id to the base name of its files, so that no id can name a file outside the checkpoint directory.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A plain id (ASCII letters, digits, <c>.</c>, <c>_</c>, <c>-</c>; starting with a letter or digit; no
/// <c>..</c>; not a Windows device name; at most <see cref="MaxPlainLength"/> characters) is used as it is, like the
/// Python manager: <c>CARD-1</c> is stored in <c>CARD-1.json</c>.</item>
/// <item>Any other id is escaped: <c>~</c> followed by the id with every byte of its UTF-8 form outside
/// <c>[A-Za-z0-9_-]</c> written as <c>%XX</c>. Reversible and collision-free, since <c>~</c> never starts a plain id.</item>
/// <item>An escaped name longer than <see cref="MaxPlainLength"/> becomes <c>~~</c> and the SHA-256 of the id in hex;
/// the id itself is read back from the <c>card_id</c> field of the file.</item>
/// </list>
/// Ids that are empty, only white space, or contain control characters are refused.
/// </remarks>
internal static class CardFileName
{
    /// <summary>The longest name used as it is, well under the 255-byte file name limit with extensions.</summary>
    public const int MaxPlainLength = 100;

    private const string EscapedPrefix = "~";
    private const string HashedPrefix = "~~";

    /// <summary>Checks that a card id can be stored at all (see <see cref="CardIds.Validate"/>).</summary>
    public static void Validate(string cardId, string paramName = "cardId") => CardIds.Validate(cardId, paramName);

    /// <summary>Returns the base file name (without extension) for a card id.</summary>
    public static string ToBaseName(string cardId)
    {
        Validate(cardId);
        if (IsPlain(cardId))
        {
            return cardId;
        }

        var escaped = EscapedPrefix + Escape(cardId);
        return escaped.Length <= MaxPlainLength
            ? escaped
            : HashedPrefix + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(cardId))).ToLowerInvariant();
    }

    /// <summary>Reads the card id back from a base name; <see langword="null"/> for hashed names, whose id is in the file.</summary>
    /// <returns>The id, or <see langword="null"/> when the name is hashed or is not one this class makes.</returns>
    public static string? TryFromBaseName(string baseName)
    {
        if (baseName.StartsWith(HashedPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        if (baseName.StartsWith(EscapedPrefix, StringComparison.Ordinal))
        {
            return TryUnescape(baseName.AsSpan(EscapedPrefix.Length));
        }

        return IsPlain(baseName) ? baseName : null;
    }

    /// <summary>Tells whether a base name is the hashed form, whose id must be read from the file.</summary>
    public static bool IsHashed(string baseName) => baseName.StartsWith(HashedPrefix, StringComparison.Ordinal);

    private static bool IsPlain(string id)
    {
        if (id.Length > MaxPlainLength || !char.IsAsciiLetterOrDigit(id[0]) || id.Contains("..", StringComparison.Ordinal)
            || id.EndsWith('.'))
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return !IsDeviceName(id.Split('.')[0]);
    }

    /// <summary>
    /// Whether the part of a name before its first dot is a Windows device name, which no file may be called whatever
    /// its extension or case. (<c>CONIN$</c> and <c>CONOUT$</c> are device names too; their <c>$</c> already keeps them
    /// from being plain.)
    /// </summary>
    private static bool IsDeviceName(string stem)
    {
        foreach (var device in (ReadOnlySpan<string>)[
            "CON", "PRN", "AUX", "NUL",
            "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
            "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"])
        {
            if (stem.Equals(device, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Escape(string id)
    {
        // Stryker disable once Arithmetic : an initial capacity, which changes no result
        var builder = new StringBuilder(id.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(id))
        {
            var c = (char)b; // a byte of 0x80 or more is no ASCII letter or digit: escaped
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static string? TryUnescape(ReadOnlySpan<char> escaped)
    {
        var bytes = new List<byte>(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '%')
            {
                if (i + 2 >= escaped.Length
                    || !byte.TryParse(escaped.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                {
                    return null;
                }

                bytes.Add(b);
                i += 2;
            }
            else if (escaped[i] < 0x80)
            {
                bytes.Add((byte)escaped[i]);
            }
            else
            {
                return null;
            }
        }

        var utf8 = CollectionsMarshal.AsSpan(bytes);
        return Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : null;
    }
}
