using System.Globalization;

namespace Checkpointing.Settings;

/// <summary>
/// The one way options types check themselves: each has an internal <c>Validate()</c> made of these checks, and every
/// store calls it first thing in its constructor. The message names the setting as a user writes it
/// (<c>SqliteCheckpointRepositoryOptions.LeaseDuration</c>), the value found and what is allowed.
/// </summary>
internal static class SettingChecks
{
    /// <summary>Requires a duration greater than zero.</summary>
    /// <param name="owner">The options type, for the message.</param>
    /// <param name="setting">The property.</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="ArgumentOutOfRangeException">It is zero or negative.</exception>
    public static void Positive(Type owner, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            throw OutOfRange(owner, setting, value, "must be greater than zero");
        }
    }

    /// <summary>Requires a duration of at least <paramref name="minimum"/>.</summary>
    /// <param name="owner">The options type, for the message.</param>
    /// <param name="setting">The property.</param>
    /// <param name="value">Its value.</param>
    /// <param name="minimum">The least allowed.</param>
    /// <exception cref="ArgumentOutOfRangeException">It is less.</exception>
    public static void AtLeast(Type owner, string setting, TimeSpan value, TimeSpan minimum)
    {
        if (value < minimum)
        {
            throw OutOfRange(owner, setting, value, string.Create(CultureInfo.InvariantCulture, $"must be at least {minimum}"));
        }
    }

    /// <summary>Requires a duration of at most <paramref name="maximum"/>.</summary>
    /// <param name="owner">The options type, for the message.</param>
    /// <param name="setting">The property.</param>
    /// <param name="value">Its value.</param>
    /// <param name="maximum">The most allowed.</param>
    /// <exception cref="ArgumentOutOfRangeException">It is more.</exception>
    public static void AtMost(Type owner, string setting, TimeSpan value, TimeSpan maximum)
    {
        if (value > maximum)
        {
            throw OutOfRange(owner, setting, value, string.Create(CultureInfo.InvariantCulture, $"must be at most {maximum}"));
        }
    }

    /// <summary>Requires a number in a range.</summary>
    /// <param name="owner">The options type, for the message.</param>
    /// <param name="setting">The property.</param>
    /// <param name="value">Its value.</param>
    /// <param name="minimum">The least allowed.</param>
    /// <param name="maximum">The most allowed.</param>
    /// <exception cref="ArgumentOutOfRangeException">It is outside.</exception>
    public static void InRange(Type owner, string setting, long value, long minimum, long maximum)
    {
        if (value < minimum || value > maximum)
        {
            throw OutOfRange(owner, setting, value, string.Create(CultureInfo.InvariantCulture, $"must be from {minimum} to {maximum}"));
        }
    }

    /// <summary>Requires a setting to be set.</summary>
    /// <param name="owner">The options type, for the message.</param>
    /// <param name="setting">The property.</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="ArgumentNullException">It is <see langword="null"/>.</exception>
    public static void NotNull(Type owner, string setting, object? value)
    {
        if (value is null)
        {
            throw new ArgumentNullException(setting, $"{owner.Name}.{setting} must be set.");
        }
    }

    private static ArgumentOutOfRangeException OutOfRange(Type owner, string setting, object value, string rule) =>
        new(setting, value, string.Create(CultureInfo.InvariantCulture, $"{owner.Name}.{setting} {rule}; it was {value}."));
}
