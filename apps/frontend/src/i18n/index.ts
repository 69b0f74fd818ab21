import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en from "./en.json";
import ko from "./ko.json";

export const LANGUAGES = ["ko", "en"] as const;
export type Language = (typeof LANGUAGES)[number];
const KEY = "homecare.lang";

export const resources = { ko: { translation: ko }, en: { translation: en } } as const;

function saved(): Language {
  try {
    const value = window.localStorage.getItem(KEY);
    return value === "en" ? "en" : "ko";
  } catch {
    return "ko";
  }
}

/** Korean by default; English when chosen (remembered per device). */
export function initI18n(language: Language = saved()): typeof i18n {
  if (!i18n.isInitialized) {
    void i18n.use(initReactI18next).init({
      resources,
      lng: language,
      fallbackLng: "ko",
      interpolation: { escapeValue: false }, // React escapes
      returnNull: false,
    });
    i18n.on("languageChanged", (lng) => {
      document.documentElement.lang = lng;
    });
    document.documentElement.lang = language;
  }
  return i18n;
}

export function setLanguage(language: Language): void {
  try {
    window.localStorage.setItem(KEY, language);
  } catch {
    // private mode: the choice lasts for this page only
  }
  void i18n.changeLanguage(language);
}

/** The BCP 47 locale for Intl formatting. */
export function localeOf(language: string): string {
  return language === "en" ? "en-KR" : "ko-KR";
}
