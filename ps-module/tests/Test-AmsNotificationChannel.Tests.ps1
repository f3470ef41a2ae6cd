#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Test-AmsNotificationChannel, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Test-AmsNotificationChannel' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'tests one channel by name' {
        $null = Test-AmsNotificationChannel -Name 'SecOps'
        (Get-AmsStubCall).Line | Should -BeExactly 'notification-channel test --name SecOps'
    }
}
